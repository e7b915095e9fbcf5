import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { runs } from '../api/endpoints';
import { ErrorMessage } from '../components/feedback';
import { isDark } from '../components/theme';
import { useWidth } from './use-width';
import { mergeDetail, metricValue, overviewRequest, zoomRequest, type Point, type StepRange } from './history-window';

const HEIGHT = 220;

function pointsOf(metrics: ReadonlyArray<{ step: number; value: number | string }> | undefined): Point[] {
  return (metrics ?? []).map((m) => ({ step: m.step, value: metricValue(m.value) ?? Number.NaN }));
}

/**
 * One metric of one run over steps, drawn on canvas by uPlot. The overview is downsampled by the
 * server to the chart's width; dragging a range zooms and fetches that range at full resolution
 * (double-click zooms back out).
 */
export function MetricChart({ runId, metricKey }: { runId: string; metricKey: string }) {
  const { box, width } = useWidth<HTMLDivElement>();
  const plot = useRef<uPlot | null>(null);
  const [zoom, setZoom] = useState<StepRange | undefined>();

  // The overview is asked for at a width bucket, so resizing a little does not refetch.
  const bucket = Math.max(200, Math.ceil(width / 200) * 200);
  const overviewWindow = overviewRequest(bucket);
  const overview = useQuery({
    queryKey: ['history', runId, metricKey, overviewWindow],
    queryFn: () => runs.history(runId, metricKey, overviewWindow),
    enabled: width > 0,
    staleTime: 60_000,
  });
  const overviewPoints = useMemo(() => pointsOf(overview.data?.metrics), [overview.data]);
  const detailWindow = zoom === undefined ? undefined : zoomRequest(zoom, bucket, { points: overviewPoints.length, asked: overviewWindow.max_results });
  const detail = useQuery({
    queryKey: ['history', runId, metricKey, detailWindow],
    queryFn: () => runs.history(runId, metricKey, detailWindow ?? overviewWindow),
    enabled: detailWindow !== undefined,
    staleTime: 60_000,
  });
  const points = useMemo(
    () => (zoom !== undefined && detail.data ? mergeDetail(overviewPoints, pointsOf(detail.data.metrics), zoom) : overviewPoints),
    [overviewPoints, detail.data, zoom],
  );

  useEffect(() => {
    const element = box.current;
    if (element === null || width === 0 || points.length === 0) return;
    const data: uPlot.AlignedData = [points.map((p) => p.step), points.map((p) => (Number.isNaN(p.value) ? null : p.value))];
    if (plot.current !== null) {
      plot.current.setSize({ width, height: HEIGHT });
      // Keep the user's zoom while the detailed points arrive.
      plot.current.setData(data, zoom === undefined);
      return;
    }
    const dark = isDark();
    const axis = { stroke: dark ? '#9da7b3' : '#57606a', grid: { stroke: dark ? '#2d333b' : '#e5e8eb' }, ticks: { stroke: dark ? '#2d333b' : '#e5e8eb' } };
    plot.current = new uPlot(
      {
        width,
        height: HEIGHT,
        scales: { x: { time: false } },
        axes: [{ ...axis, label: 'step' }, axis],
        legend: { show: true },
        series: [
          { label: 'step' },
          { label: metricKey, stroke: dark ? '#58a6ff' : '#0b5cad', width: 1.5, spanGaps: false, points: { show: points.length <= 60 } },
        ],
        hooks: {
          setSelect: [
            (u) => {
              if (u.select.width < 2) return;
              const min = u.posToVal(u.select.left, 'x');
              const max = u.posToVal(u.select.left + u.select.width, 'x');
              setZoom({ min, max });
            },
          ],
        },
        cursor: { drag: { x: true, y: false, setScale: true } },
      },
      data,
      element,
    );
    element.addEventListener('dblclick', () => setZoom(undefined));
  }, [points, width, zoom, metricKey, box]);

  useEffect(
    () => () => {
      plot.current?.destroy();
      plot.current = null;
    },
    [],
  );

  const shown = points.length;
  return (
    <figure className="chart" aria-label={`Chart of ${metricKey}`}>
      <h3>{metricKey}</h3>
      <div ref={box} style={{ minHeight: HEIGHT }} />
      <figcaption className="muted">
        {overview.isPending && width > 0
          ? 'Loading…'
          : `${shown} points${zoom ? ` · zoomed to steps ${Math.round(zoom.min)}–${Math.round(zoom.max)} (double-click to zoom out)` : ' · drag to zoom'}`}
        {detail.isFetching ? ' · loading detail…' : ''}
      </figcaption>
      <ErrorMessage error={overview.error ?? detail.error} />
    </figure>
  );
}
