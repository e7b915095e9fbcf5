import { useQuery } from '@tanstack/react-query';
import { useDeferredValue, useMemo, useState } from 'react';
import type { Run } from '@cairn/contracts';
import { runs } from '../api/endpoints';
import { CompareChart } from '../charts/compare-chart';
import { ParallelChart } from '../charts/parallel-chart';
import { X_AXES, X_AXIS_LABELS, type XAxis } from '../charts/series';
import { diffRows, inBatches, metricKeys } from '../compare/compare-runs';
import { Empty, ErrorMessage, Loading } from '../components/feedback';
import { formatValue } from '../components/format';
import { Link } from '../components/link';
import type { Route } from '../routing/route';
import { navigate } from '../routing/use-route';

type CompareRoute = Extract<Route, { page: 'compare' }>;

/** Parallel coordinates get unreadable past this many axes: the params that differ most come first. */
const PARALLEL_PARAMS = 8;

/**
 * Selected runs side by side: one metric overlaid for all of them (step, wall-time or relative-time
 * axis, smoothing), the sweep as parallel coordinates, and a table of params and metrics marking
 * what differs. Axis, smoothing and metric are in the URL with the runs.
 */
export function ComparePage({ route }: { route: CompareRoute }) {
  const query = useQuery({
    queryKey: ['compare', route.experimentIds, route.runIds],
    queryFn: async (): Promise<Run[]> => {
      if (route.experimentIds.length > 0) {
        // 100 ids to a search keeps each filter string (and the server's IN list) modest.
        const pages = await Promise.all(inBatches(route.runIds).map((ids) => runs.byIds(route.experimentIds, ids)));
        return pages.flatMap((page) => page.runs ?? []);
      }
      // A link without experiment ids: one read per run (fine for the handful such links name).
      return (await Promise.all(route.runIds.map((id) => runs.get(id)))).map((r) => r.run);
    },
    enabled: route.runIds.length > 0,
  });
  // The URL's order, not the server's: the columns stay where the user put them.
  const compared = useMemo(() => {
    const byId = new Map((query.data ?? []).map((run) => [run.info.run_id, run]));
    return route.runIds.map((id) => byId.get(id)).filter((run): run is Run => run !== undefined);
  }, [query.data, route.runIds]);
  const names = useMemo(() => new Map(compared.map((run) => [run.info.run_id, run.info.run_name || run.info.run_id.slice(0, 8)])), [compared]);
  const chartRuns = useMemo(
    () => compared.map((run) => ({ runId: run.info.run_id, name: names.get(run.info.run_id) ?? run.info.run_id, startTime: run.info.start_time })),
    [compared, names],
  );
  const keys = useMemo(() => metricKeys(compared), [compared]);
  const metric = route.metric !== '' && keys.includes(route.metric) ? route.metric : (keys[0] ?? '');
  const [onlyDifferences, setOnlyDifferences] = useState(false);
  const rows = useMemo(() => diffRows(compared), [compared]);
  const shownRows = onlyDifferences ? rows.filter((r) => r.differs) : rows;
  const sweepParams = useMemo(
    () =>
      rows
        .filter((r) => r.kind === 'params' && r.differs)
        .slice(0, PARALLEL_PARAMS)
        .map((r) => r.key),
    [rows],
  );
  // The slider moves the URL at once; the chart follows when the browser has time (no jank while dragging).
  const smoothing = useDeferredValue(route.smoothing);
  const set = (change: Partial<CompareRoute>) => navigate({ ...route, ...change }, { replace: true });

  return (
    <section aria-labelledby="compare-title">
      <h1 id="compare-title" tabIndex={-1}>
        Comparing {route.runIds.length} runs
      </h1>
      <ErrorMessage error={query.error} />
      {route.runIds.length === 0 ? <Empty>No runs to compare: select runs in an experiment first.</Empty> : null}
      {query.isFetching && compared.length === 0 ? <Loading what="runs" /> : null}
      {compared.length > 0 && compared.length < route.runIds.length && !query.isFetching ? (
        <p className="muted">{route.runIds.length - compared.length} of the runs could not be found.</p>
      ) : null}
      {keys.length > 0 ? (
        <>
          <div className="toolbar">
            <label>
              Metric{' '}
              <select value={metric} onChange={(e) => set({ metric: e.target.value })}>
                {keys.map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </select>
            </label>
            <label>
              X axis{' '}
              <select value={route.axis} onChange={(e) => set({ axis: e.target.value as XAxis })}>
                {X_AXES.map((axis) => (
                  <option key={axis} value={axis}>
                    {X_AXIS_LABELS[axis]}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Smoothing{' '}
              <input
                type="range"
                min={0}
                max={0.99}
                step={0.01}
                value={route.smoothing}
                onChange={(e) => set({ smoothing: Number(e.target.value) })}
                aria-valuetext={route.smoothing === 0 ? 'off' : String(route.smoothing)}
              />{' '}
              <output className="mono">{route.smoothing.toFixed(2)}</output>
            </label>
          </div>
          <CompareChart compared={chartRuns} metricKey={metric} axis={route.axis} smoothing={smoothing} />
          <ParallelChart runs={compared} params={sweepParams} metric={metric} />
        </>
      ) : null}
      {compared.length > 0 ? (
        <>
          <h2>Parameters and metrics</h2>
          <label>
            <input type="checkbox" checked={onlyDifferences} onChange={(e) => setOnlyDifferences(e.target.checked)} /> Only what differs
          </label>
          <div style={{ overflow: 'auto', marginTop: '0.5rem' }}>
            <table className="data compare" aria-label="Differences">
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  {compared.map((run) => (
                    <th scope="col" key={run.info.run_id}>
                      <Link to={{ page: 'run', experimentId: run.info.experiment_id, runId: run.info.run_id, tab: 'overview', artifact: '' }}>
                        {names.get(run.info.run_id)}
                      </Link>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {shownRows.map((row) => (
                  <tr key={`${row.kind}.${row.key}`} className={row.differs ? 'differs' : ''}>
                    <th scope="row" className="mono">
                      {row.kind === 'params' ? 'param' : 'metric'}: {row.key}
                      {row.differs ? <span className="sr-only"> (differs)</span> : null}
                    </th>
                    {row.values.map((value, i) => (
                      <td key={compared[i]?.info.run_id ?? i} className="mono">
                        {value === undefined ? '—' : row.kind === 'metrics' ? formatValue(Number(value)) : value}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </section>
  );
}
