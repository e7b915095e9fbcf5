import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import type { Run } from '@cairn/contracts';
import { runs } from '../api/endpoints';
import { CompareChart } from '../charts/compare-chart';
import { diffRows, metricKeys } from '../compare/compare-runs';
import { Empty, ErrorMessage, Loading } from '../components/feedback';
import { formatValue } from '../components/format';
import { Link } from '../components/link';
import type { Route } from '../routing/route';
import { navigate } from '../routing/use-route';

type CompareRoute = Extract<Route, { page: 'compare' }>;

/** Selected runs side by side: one metric overlaid for all of them, and a table of what differs. */
export function ComparePage({ route }: { route: CompareRoute }) {
  const query = useQuery({
    queryKey: ['compare', route.experimentIds, route.runIds],
    queryFn: async (): Promise<Run[]> => {
      if (route.experimentIds.length > 0) return (await runs.byIds(route.experimentIds, route.runIds)).runs ?? [];
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
  const keys = useMemo(() => metricKeys(compared), [compared]);
  const metric = route.metric !== '' && keys.includes(route.metric) ? route.metric : (keys[0] ?? '');
  const [onlyDifferences, setOnlyDifferences] = useState(false);
  const rows = useMemo(() => diffRows(compared), [compared]);
  const shownRows = onlyDifferences ? rows.filter((r) => r.differs) : rows;

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
              <select value={metric} onChange={(e) => navigate({ ...route, metric: e.target.value }, { replace: true })}>
                {keys.map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <CompareChart runIds={compared.map((r) => r.info.run_id)} names={names} metricKey={metric} />
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
