import { useEffect, useMemo } from 'react';
import type { Run } from '@cairn/contracts';
import { parallelData, tickLabels } from '../compare/parallel';
import { isDark } from '../components/theme';
import { useWidth } from './use-width';

const HEIGHT = 300;
const PAD = { top: 40, bottom: 24, side: 70 };

/** Low metric values blue, high ones orange: the two ends of a sweep stand out in both themes. */
function colourAt(t: number | null, dark: boolean): string {
  if (t === null) return dark ? 'rgba(157,167,179,0.35)' : 'rgba(87,96,106,0.35)';
  const [r0, g0, b0] = [11, 123, 214];
  const [r1, g1, b1] = [232, 89, 12];
  const mix = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgba(${mix(r0, r1)},${mix(g0, g1)},${mix(b0, b1)},0.75)`;
}

/**
 * A sweep as parallel coordinates on one canvas: an axis per param that differs between the runs
 * and the chosen metric last, one line per run coloured by that metric. Canvas, not SVG: 200 lines
 * are one paint, not 200 DOM nodes.
 */
export function ParallelChart({ runs, params, metric }: { runs: readonly Run[]; params: readonly string[]; metric: string }) {
  const { box, width } = useWidth<HTMLDivElement>();
  const data = useMemo(() => parallelData(runs, params, metric), [runs, params, metric]);

  useEffect(() => {
    const canvas = box.current?.querySelector('canvas');
    if (!canvas || width === 0) return;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = width * ratio;
    canvas.height = HEIGHT * ratio;
    canvas.style.width = `${width}px`;
    canvas.style.height = `${HEIGHT}px`;
    const g = canvas.getContext('2d');
    if (!g) return;
    g.scale(ratio, ratio);
    const dark = isDark();
    const n = data.axes.length;
    const xOf = (i: number) => (n === 1 ? width / 2 : PAD.side + (i * (width - 2 * PAD.side)) / (n - 1));
    const yOf = (p: number) => HEIGHT - PAD.bottom - p * (HEIGHT - PAD.top - PAD.bottom);
    g.lineWidth = 1.25;
    for (const line of data.lines) {
      g.strokeStyle = colourAt(line.colour, dark);
      g.beginPath();
      let drawing = false;
      line.positions.forEach((p, i) => {
        if (p === null) {
          drawing = false;
          return;
        }
        if (drawing) g.lineTo(xOf(i), yOf(p));
        else g.moveTo(xOf(i), yOf(p));
        drawing = true;
      });
      g.stroke();
    }
    const ink = dark ? '#e6edf3' : '#1f2328';
    g.fillStyle = ink;
    g.strokeStyle = ink;
    g.font = '12px system-ui, sans-serif';
    g.textAlign = 'center';
    data.axes.forEach((axis, i) => {
      const x = xOf(i);
      g.beginPath();
      g.moveTo(x, yOf(0));
      g.lineTo(x, yOf(1));
      g.stroke();
      g.fillText(`${axis.kind === 'params' ? '' : 'metric: '}${axis.key}`, x, 14);
      for (const tick of tickLabels(axis))
        g.fillText(tick.label.slice(0, 14), x, yOf(tick.position) + (tick.position === 0 ? 16 : tick.position === 1 ? -4 : 4));
    });
  }, [data, width, box]);

  const axesText = data.axes.map((a) => a.key).join(', ');
  return (
    <figure className="chart" aria-label={`Parallel coordinates of ${runs.length} runs`}>
      <h3>Parallel coordinates</h3>
      <div ref={box} style={{ minHeight: HEIGHT }}>
        <canvas role="img" aria-label={`Lines of ${runs.length} runs across ${axesText}; the table below has the values`} />
      </div>
      <figcaption className="muted">
        {data.axes.length < 2
          ? 'Needs a param that differs between the runs, or a metric.'
          : `${runs.length} runs across ${data.axes.map((a) => (a.kind === 'params' ? a.key : `metric ${a.key}`)).join(', ')} · coloured by ${metric || 'nothing'} (blue low, orange high)`}
      </figcaption>
    </figure>
  );
}
