import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { runs } from '../api/endpoints';
import { inBatches } from '../compare/compare-runs';
import { ErrorMessage } from '../components/feedback';
import { isDark } from '../components/theme';
import { metricValue, overviewRequest } from './history-window';
import { align, curveOf, smooth, X_AXIS_LABELS, type HistoryPoint, type XAxis } from './series';
import { useWidth } from './use-width';

const HEIGHT = 320;
/** Distinguishable in both themes; runs past the palette reuse it (the legend names every line). */
const PALETTE = ['#0b7bd6', '#e8590c', '#2f9e44', '#c2255c', '#7048e8', '#e67700', '#0c8599', '#5c940d', '#a61e4d', '#364fc7'];

export interface ComparedRun {
  runId: string;
  name: string;
  startTime: number | undefined;
}

/**
 * One metric of many runs overlaid on a step, wall-time or relative-time axis, optionally smoothed.
 * Each run is downsampled by the server (fewer points per run the more runs share the pixels), the
 * runs are asked for 100 to a request, and the shared x axis is capped at one column per pixel: 200
 * runs draw without a long task.
 */
export function CompareChart({ compared, metricKey, axis, smoothing }: { compared: ComparedRun[]; metricKey: string; axis: XAxis; smoothing: number }) {
  const { box, width } = useWidth<HTMLDivElement>();
  const runIds = useMemo(() => compared.map((r) => r.runId), [compared]);
  const window = overviewRequest(Math.max(100, Math.min(1000, Math.floor(width / Math.max(1, Math.sqrt(runIds.length))))));
  const histories = useQuery({
    queryKey: ['histories', metricKey, runIds, window],
    queryFn: async () => (await Promise.all(inBatches(runIds).map((batch) => runs.histories(batch, metricKey, window)))).flatMap((r) => r.metrics ?? []),
    enabled: width > 0 && metricKey !== '',
    staleTime: 60_000,
  });
  const byRun = useMemo(() => {
    const grouped = new Map<string, HistoryPoint[]>(runIds.map((id) => [id, []]));
    for (const m of histories.data ?? []) grouped.get(m.run_id ?? '')?.push({ step: m.step, timestamp: m.timestamp, value: metricValue(m.value) });
    return grouped;
  }, [histories.data, runIds]);
  const aligned = useMemo(
    () =>
      align(
        compared.map((run) => {
          const curve = curveOf(byRun.get(run.runId) ?? [], axis, run.startTime);
          return { x: curve.x, y: smooth(curve.y, smoothing) };
        }),
        Math.max(100, width),
      ),
    [byRun, compared, axis, smoothing, width],
  );

  // The plot is made again only when its shape changes (width, axis, runs); a new smoothing or a
  // late history is new data for the same plot (setData), not 200 series built again.
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(aligned);
  latest.current = aligned;
  const ready = histories.data !== undefined;
  useEffect(() => {
    const element = box.current;
    if (element === null || width === 0 || !ready) return;
    const dark = isDark();
    const grid = { stroke: dark ? '#9da7b3' : '#57606a', grid: { stroke: dark ? '#2d333b' : '#e5e8eb' }, ticks: { stroke: dark ? '#2d333b' : '#e5e8eb' } };
    const data = latest.current;
    plot.current = new uPlot(
      {
        width,
        height: HEIGHT,
        scales: { x: { time: axis === 'time' } },
        axes: [{ ...grid, label: X_AXIS_LABELS[axis] }, grid],
        // A legend of 200 names is a wall: past 20 runs the table below names them.
        legend: { show: compared.length <= 20 },
        series: [
          { label: X_AXIS_LABELS[axis] },
          ...compared.map((run, i) => ({
            label: run.name,
            stroke: PALETTE[i % PALETTE.length],
            width: 1.25,
            spanGaps: true,
            points: { show: data.xs.length <= 60 },
          })),
        ],
        cursor: { drag: { x: true, y: false, setScale: true } },
      },
      [data.xs, ...data.ys],
      element,
    );
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [width, axis, compared, ready, box]);
  useEffect(() => {
    const current = plot.current;
    if (current !== null && current.data[0] !== aligned.xs) current.setData([aligned.xs, ...aligned.ys]);
  }, [aligned]);

  return (
    <figure className="chart" aria-label={`Chart of ${metricKey} for ${runIds.length} runs`}>
      <h3>{metricKey}</h3>
      <div ref={box} style={{ minHeight: HEIGHT }} />
      <figcaption className="muted">
        {histories.isFetching
          ? 'Loading…'
          : `${histories.data?.length ?? 0} points over ${runIds.length} runs · ${X_AXIS_LABELS[axis].toLowerCase()}${smoothing > 0 ? ` · smoothed ${smoothing}` : ''} · drag to zoom, double-click to zoom out`}
      </figcaption>
      <ErrorMessage error={histories.error} />
    </figure>
  );
}
