import { useMutation, useQuery } from '@tanstack/react-query';
import { experiments, operations, type Experiment } from '../api/endpoints';
import { useCan } from '../auth/use-can';
import { Empty, ErrorMessage, Loading } from '../components/feedback';
import { formatBytes } from '../components/format';
import { Link } from '../components/link';
import { DataTable } from '../components/data-table';

/** Storage per experiment with its quota and retention, and dry runs of the orphan reaper and of GC. */
export function OperationsPage() {
  const list = useQuery({ queryKey: ['experiments', '', 'active', ''], queryFn: () => experiments.search('', 'active', '') });
  const rows = list.data?.experiments ?? [];
  return (
    <section aria-labelledby="operations-title">
      <h1 id="operations-title" tabIndex={-1}>
        Operations
      </h1>
      <h2>Artifact storage by experiment</h2>
      <ErrorMessage error={list.error} />
      {list.isPending ? (
        <Loading what="experiments" />
      ) : rows.length === 0 ? (
        <Empty>No experiments.</Empty>
      ) : (
        <DataTable label="Artifact storage" headers={['Experiment', 'Files', 'Uploaded', 'Stored', 'Quota', 'Retention policies']}>
          {rows.map((experiment) => (
            <UsageRow key={experiment.experiment_id} experiment={experiment} />
          ))}
        </DataTable>
      )}
      {list.data?.next_page_token ? <p className="muted">The {rows.length} most recently updated experiments.</p> : null}
      <h2>Orphaned runs</h2>
      <OrphanCheck />
      <h2>Garbage collection</h2>
      <GcDryRun />
    </section>
  );
}

function UsageRow({ experiment }: { experiment: Experiment }) {
  const usage = useQuery({ queryKey: ['usage', experiment.experiment_id], queryFn: () => operations.usage(experiment.experiment_id) });
  const retention = useQuery({ queryKey: ['retention', experiment.experiment_id], queryFn: () => operations.retention(experiment.experiment_id) });
  const u = usage.data;
  const policies = retention.data?.policies ?? [];
  return (
    <tr>
      <td>
        <Link
          to={{
            page: 'runs',
            experimentId: experiment.experiment_id,
            runs: { filter: '', orderBy: 'attributes.start_time DESC', columns: [], view: 'active', token: '' },
          }}
        >
          {experiment.name}
        </Link>
      </td>
      <td>{u ? u.files : '…'}</td>
      <td>{u ? formatBytes(u.logical_bytes) : '…'}</td>
      <td>{u ? formatBytes(u.stored_bytes) : '…'}</td>
      <td>
        {u?.quota_bytes !== undefined
          ? `${formatBytes(u.quota_bytes)} (${Math.round((100 * u.stored_bytes) / Math.max(1, u.quota_bytes))}% used)`
          : u
            ? 'none'
            : '…'}
      </td>
      <td>
        {policies.length === 0
          ? retention.isPending
            ? '…'
            : 'none'
          : policies
              .map(
                (p) =>
                  `${p.prefix || '(all)'}: ${p.keep_last ? `last ${p.keep_last}` : ''}${p.keep_best ? ` best ${p.keep_best} by ${p.metric_key ?? ''}` : ''}`,
              )
              .join('; ')}
        <ErrorMessage error={usage.error ?? retention.error} />
      </td>
    </tr>
  );
}

function OrphanCheck() {
  const check = useMutation({ mutationFn: () => operations.orphans() });
  const can = useCan();
  return (
    <div>
      <p className="muted">Runs still RUNNING whose client stopped sending heartbeats; the reaper closes them as FAILED.</p>
      {can.admin ? (
        <button type="button" onClick={() => check.mutate()} disabled={check.isPending}>
          Check now (dry run)
        </button>
      ) : (
        <p className="muted">Only an admin can run this check.</p>
      )}
      <ErrorMessage error={check.error} />
      {check.data ? (
        <div role="status" aria-label="Orphaned runs">
          {check.data.reaped_runs.length === 0 ? (
            <p>No orphaned runs.</p>
          ) : (
            <ul>
              {check.data.reaped_runs.map((id) => (
                <li key={id} className="mono">
                  {id}
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}
    </div>
  );
}

function GcDryRun() {
  const gc = useMutation({ mutationFn: () => operations.gcDryRun() });
  const can = useCan();
  const report = gc.data;
  return (
    <div>
      <p className="muted">What purging deleted runs and experiments would remove, and what it keeps because a model version still needs it.</p>
      {can.admin ? (
        <button type="button" onClick={() => gc.mutate()} disabled={gc.isPending}>
          Report (dry run)
        </button>
      ) : (
        <p className="muted">Only an admin can see this report.</p>
      )}
      <ErrorMessage error={gc.error} />
      {report ? (
        <div role="status" aria-label="Garbage collection report">
          <p>
            Would purge {report.purged_runs.length} runs and {report.purged_experiments.length} experiments; would keep {report.skipped.length} runs.
          </p>
          {report.skipped.length > 0 ? (
            <ul>
              {report.skipped.map((s) => (
                <li key={s.run_id}>
                  <code>{s.run_id}</code>: {s.reason}
                  {s.model_versions?.length ? ` (${s.model_versions.map((v) => `${v.name} v${v.version}`).join(', ')})` : ''}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
