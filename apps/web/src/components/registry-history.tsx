import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { models } from '../api/endpoints';
import type { Route } from '../routing/route';
import { ErrorMessage, Loading } from './feedback';
import { formatTime, formatValue } from './format';
import { Link } from './link';
import { changeSummary, changeTitle, localInputToEpoch } from './model-history';

/** A version's lineage: its run and experiment, the run's params and final metrics, code, data, environment. */
export function VersionLineage({ name, version }: { name: string; version: string }) {
  const lineage = useQuery({ queryKey: ['lineage', name, version], queryFn: () => models.lineage(name, version) });
  if (lineage.isPending) return <Loading what="lineage" />;
  if (lineage.error) return <ErrorMessage error={lineage.error} />;
  const { run, code, data } = lineage.data;
  const runRoute: Route | undefined = run ? { page: 'run', experimentId: run.experiment_id, runId: run.run_id, tab: 'overview', artifact: '' } : undefined;
  return (
    <div>
      <dl className="facts" aria-label={`Lineage of version ${version}`}>
        <dt>Run</dt>
        <dd>
          {run && runRoute ? (
            <Link to={runRoute}>{run.run_name || run.run_id}</Link>
          ) : lineage.data.run_known ? (
            '—'
          ) : (
            <span className="muted">{lineage.data.run_id ?? 'none'} (not known to the registry yet)</span>
          )}
        </dd>
        <dt>Experiment</dt>
        <dd>
          {run ? (
            <Link
              to={{
                page: 'runs',
                experimentId: run.experiment_id,
                runs: { filter: '', orderBy: 'attributes.start_time DESC', columns: [], view: 'active', token: '' },
              }}
            >
              {run.experiment_id}
            </Link>
          ) : (
            '—'
          )}
        </dd>
        <dt>Git commit</dt>
        <dd>{code?.commit ? <code>{code.commit}</code> : '—'}</dd>
        {code?.repo_url ? (
          <>
            <dt>Repository</dt>
            <dd>{code.repo_url}</dd>
          </>
        ) : null}
        <dt>Data hash</dt>
        <dd>{data?.dvc_data_hash ? <code>{data.dvc_data_hash}</code> : '—'}</dd>
        {(data?.datasets ?? []).length > 0 ? (
          <>
            <dt>Datasets</dt>
            <dd>{data?.datasets.map((d) => `${d.name} (${d.digest})`).join(', ')}</dd>
          </>
        ) : null}
        <dt>Artifacts</dt>
        <dd>
          <code>{lineage.data.artifact_uri}</code>
        </dd>
        <dt>Environment</dt>
        <dd>
          {lineage.data.environment_files.map((f) => (
            <code key={f} style={{ display: 'block' }}>
              {f}
            </code>
          ))}
        </dd>
      </dl>
      {run ? (
        <div className="charts" style={{ marginTop: '0.75rem' }}>
          <Pairs label="Parameters of the run" entries={Object.entries(run.params)} />
          <Pairs label="Final metrics of the run" entries={Object.entries(run.metrics).map(([k, v]) => [k, formatValue(v)])} />
        </div>
      ) : null}
    </div>
  );
}

function Pairs({ label, entries }: { label: string; entries: Array<[string, string]> }) {
  return (
    <table className="data" aria-label={label}>
      <caption style={{ textAlign: 'left', fontWeight: 600, padding: '0.25rem 0' }}>{label}</caption>
      <tbody>
        {entries.length === 0 ? (
          <tr>
            <td className="muted">None.</td>
          </tr>
        ) : (
          entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row" className="mono" style={{ position: 'static' }}>
                {k}
              </th>
              <td className="mono">{v}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

/** Every change of the model, newest first, with its actor; and the model as it stood at a chosen instant. */
export function ModelTimeline({ name }: { name: string }) {
  const history = useQuery({ queryKey: ['model-history', name], queryFn: () => models.history(name) });
  const [picked, setPicked] = useState('');
  const at = localInputToEpoch(picked);
  const asOf = useQuery({ queryKey: ['model-as-of', name, at], queryFn: () => models.asOf(name, at ?? 0), enabled: at !== undefined });
  const changes = [...(history.data?.changes ?? [])].reverse();
  const versions = Array.isArray(asOf.data?.versions) ? (asOf.data.versions as Array<{ version: string; current_stage: string } | string>) : [];
  return (
    <div>
      <form className="inline-form" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="as-of">As of</label>
        <input id="as-of" type="datetime-local" step={1} value={picked} onChange={(e) => setPicked(e.target.value)} />
        {picked !== '' ? (
          <button type="button" onClick={() => setPicked('')}>
            Now
          </button>
        ) : null}
      </form>
      <ErrorMessage error={asOf.error} />
      {asOf.data ? (
        <div className="preview" role="status" aria-label="The model as of the chosen time" style={{ minHeight: 0, margin: '0.5rem 0' }}>
          {!asOf.data.existed ? (
            <p>The model did not exist yet on {formatTime(asOf.data.as_of)}.</p>
          ) : (
            <>
              <p>
                On <strong>{formatTime(asOf.data.as_of)}</strong>:{' '}
                {(asOf.data.aliases ?? []).length === 0 ? 'no aliases' : (asOf.data.aliases ?? []).map((a) => `@${a.alias} → v${a.version}`).join(', ')}
              </p>
              <p className="muted">
                {versions.map((v) => (typeof v === 'string' ? `v${v}` : `v${v.version} ${v.current_stage}`)).join(' · ') || 'no versions'}
              </p>
            </>
          )}
        </div>
      ) : null}
      <ErrorMessage error={history.error} />
      {history.isPending ? (
        <Loading what="history" />
      ) : (
        <ol className="timeline" aria-label="History" reversed>
          {changes.map((change) => (
            <li key={change.event_id}>
              <time dateTime={change.time}>{formatTime(change.timestamp)}</time> <strong>{changeTitle(change.type)}</strong>
              {change.version ? ` · v${change.version}` : ''} <span className="muted">by {change.actor}</span>
              <ul>
                {changeSummary(change).map((line) => (
                  <li key={line} className="mono">
                    {line}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
