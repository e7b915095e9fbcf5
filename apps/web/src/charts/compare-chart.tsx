import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { runs } from '../api/endpoints';
import { alignByStep, inBatches } from '../compare/compare-runs';
import { ErrorMessage } from '../components/feedback';
import { isDark } from '../components/theme';
import { metricValue, overviewRequest } from './history-window';

const HEIGHT = 320;
/** Distinguishable in both themes; runs past the palette reuse it (the legend names every line). */
const PALETTE = ['#0b7bd6', '#e8590c', '#2f9e44', '#c2255c', '#7048e8', '#e67700', '#0c8599', '#5c940d', '#a61e4d', '#364fc7'];

/** One metric of many runs, overlaid on one step axis; each run downsampled by the server. */
export function CompareChart({ runIds, names, metricKey }: { runIds: string[]; names: Map<string, string>; metricKey: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry?.contentRect.width ?? 0)));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  // Many runs share the pixels: fewer points per run keep 200 runs light.
  const window = overviewRequest(Math.max(100, Math.min(1000, Math.floor(width / Math.max(1, Math.sqrt(runIds.length))))));
  const histories = useQuery({
    queryKey: ['histories', metricKey, runIds, window],
    queryFn: async () => (await Promise.all(inBatches(runIds).map((batch) => runs.histories(batch, metricKey, window)))).flatMap((r) => r.metrics ?? []),
    enabled: width > 0 && metricKey !== '',
    staleTime: 60_000,
  });

  useEffect(() => {
    const element = box.current;
    if (element === null || width === 0 || histories.data === undefined) return;
    const byRun = new Map<string, Array<{ step: number; value: number | null }>>(runIds.map((id) => [id, []]));
    for (const m of histories.data) byRun.get(m.run_id ?? '')?.push({ step: m.step, value: metricValue(m.value) });
    const aligned = alignByStep(runIds.map((id) => byRun.get(id) ?? []));
    const dark = isDark();
    const axis = { stroke: dark ? '#9da7b3' : '#57606a', grid: { stroke: dark ? '#2d333b' : '#e5e8eb' }, ticks: { stroke: dark ? '#2d333b' : '#e5e8eb' } };
    const plot = new uPlot(
      {
        width,
        height: HEIGHT,
        scales: { x: { time: false } },
        axes: [{ ...axis, label: 'step' }, axis],
        // A legend of 200 names is a wall: past 20 runs the table below names them.
        legend: { show: runIds.length <= 20 },
        series: [
          { label: 'step' },
          ...runIds.map((id, i) => ({
            label: names.get(id) ?? id.slice(0, 8),
            stroke: PALETTE[i % PALETTE.length],
            width: 1.25,
            spanGaps: true,
            points: { show: aligned.steps.length <= 60 },
          })),
        ],
        cursor: { drag: { x: true, y: false, setScale: true } },
      },
      [aligned.steps, ...aligned.values],
      element,
    );
    return () => plot.destroy();
  }, [histories.data, width, runIds, names]);

  return (
    <figure className="chart" aria-label={`Chart of ${metricKey} for ${runIds.length} runs`}>
      <h3>{metricKey}</h3>
      <div ref={box} style={{ minHeight: HEIGHT }} />
      <figcaption className="muted">
        {histories.isFetching ? 'Loading…' : `${histories.data?.length ?? 0} points over ${runIds.length} runs · drag to zoom, double-click to zoom out`}
      </figcaption>
      <ErrorMessage error={histories.error} />
    </figure>
  );
}
