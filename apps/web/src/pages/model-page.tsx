import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { ModelStage, ModelVersion } from '@cairn/contracts';
import { models, runs } from '../api/endpoints';
import { useCan } from '../auth/use-can';
import { Empty, ErrorMessage, Loading } from '../components/feedback';
import { formatTime } from '../components/format';
import { Link } from '../components/link';
import { PromoteForm } from '../components/promote-form';
import { ModelTimeline, VersionLineage } from '../components/registry-history';
import type { Route } from '../routing/route';
import { ACTIONS, DataTable } from '../components/data-table';

type ModelRoute = Extract<Route, { page: 'model' }>;

/** MLflow's stages, in the order a version moves through them. */
const STAGES: ModelStage[] = ['None', 'Staging', 'Production', 'Archived'];

/** A registered model: description, aliases (set/move/remove), versions with their stage; a chosen version's details. */
export function ModelPage({ route }: { route: ModelRoute }) {
  const model = useQuery({ queryKey: ['model', route.name], queryFn: () => models.get(route.name) });
  const versions = useQuery({ queryKey: ['model-versions', route.name], queryFn: () => models.versions(route.name) });
  const rows = versions.data?.model_versions ?? [];
  const chosen = route.version === '' ? undefined : rows.find((v) => v.version === route.version);
  const registered = model.data?.registered_model;
  // Aliases, stages and promotions need EDIT on the model (the server's rule for those routes).
  const mayEdit = useCan()('registered_model', route.name, 'EDIT');
  return (
    <section aria-labelledby="model-title">
      <p className="muted">
        <Link to={{ page: 'models', search: '', token: '' }}>Models</Link> / {route.name}
        {route.version !== '' ? ` / version ${route.version}` : ''}
      </p>
      <h1 id="model-title" tabIndex={-1}>
        {route.name}
        {route.version !== '' ? <span className="muted"> · version {route.version}</span> : null}
      </h1>
      <ErrorMessage error={model.error ?? versions.error} />
      {registered?.description ? <p>{registered.description}</p> : null}
      {route.version !== '' ? (
        chosen ? (
          <>
            <VersionDetails version={chosen} />
            <h2>Lineage</h2>
            <VersionLineage name={route.name} version={route.version} />
          </>
        ) : versions.isPending ? (
          <Loading what={`version ${route.version}`} />
        ) : (
          <ErrorMessage error={new Error(`Model ${route.name} has no version ${route.version}.`)} />
        )
      ) : null}
      <h2>Aliases</h2>
      {registered ? (
        <Aliases name={route.name} aliases={registered.aliases ?? []} versions={rows.map((v) => v.version)} editable={mayEdit} />
      ) : (
        <Loading what="aliases" />
      )}
      <h2>Versions</h2>
      {versions.isPending ? (
        <Loading what="versions" />
      ) : rows.length === 0 ? (
        <Empty>This model has no versions yet.</Empty>
      ) : (
        <DataTable label="Versions" headers={['Version', 'Stage', 'Aliases', 'Run', 'Status', 'Registered']}>
          {rows.map((version) => (
            <tr key={version.version} aria-current={version.version === route.version ? 'true' : undefined}>
              <td>
                <Link to={{ page: 'model', name: route.name, version: version.version }}>v{version.version}</Link>
              </td>
              <td>{mayEdit ? <StageSelect version={version} /> : version.current_stage}</td>
              <td>
                {(version.aliases ?? []).map((a) => (
                  <span key={a} className="tag-chip">
                    @{a}
                  </span>
                ))}
              </td>
              <td>{version.run_id ? <RunLink runId={version.run_id} /> : '—'}</td>
              <td>{version.status}</td>
              <td>{formatTime(version.creation_timestamp)}</td>
            </tr>
          ))}
        </DataTable>
      )}
      {rows.length > 0 && mayEdit ? (
        <>
          <h2>Promote a challenger</h2>
          <PromoteForm name={route.name} versions={rows.map((v) => v.version)} />
        </>
      ) : null}
      <h2>History</h2>
      <ModelTimeline name={route.name} />
    </section>
  );
}

function VersionDetails({ version }: { version: ModelVersion }) {
  return (
    <dl className="facts" aria-label={`Version ${version.version}`}>
      <dt>Stage</dt>
      <dd>{version.current_stage}</dd>
      <dt>Aliases</dt>
      <dd>{(version.aliases ?? []).map((a) => `@${a}`).join(', ') || '—'}</dd>
      <dt>Source</dt>
      <dd>
        <code>{version.source}</code>
      </dd>
      <dt>Run</dt>
      <dd>{version.run_id ? <RunLink runId={version.run_id} /> : '—'}</dd>
      <dt>Status</dt>
      <dd>{version.status}</dd>
      <dt>Registered</dt>
      <dd>
        {formatTime(version.creation_timestamp)}
        {version.user_id ? ` by ${version.user_id}` : ''}
      </dd>
      <dt>Description</dt>
      <dd>{version.description || '—'}</dd>
      <dt>Tags</dt>
      <dd>{(version.tags ?? []).map((t) => `${t.key}=${t.value}`).join(', ') || '—'}</dd>
    </dl>
  );
}

/** A version's run, by name, linked to the run page (the version knows only the run id). */
function RunLink({ runId }: { runId: string }) {
  const run = useQuery({ queryKey: ['run', runId], queryFn: () => runs.get(runId), staleTime: 60_000 });
  const info = run.data?.run.info;
  if (!info) return <code>{runId.slice(0, 8)}</code>;
  return <Link to={{ page: 'run', experimentId: info.experiment_id, runId, tab: 'overview', artifact: '' }}>{info.run_name || runId}</Link>;
}

function StageSelect({ version }: { version: ModelVersion }) {
  const queryClient = useQueryClient();
  const transition = useMutation({
    mutationFn: (stage: ModelStage) => models.transitionStage(version.name, version.version, stage),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: ['model-versions', version.name] }),
        queryClient.invalidateQueries({ queryKey: ['model', version.name] }),
      ]),
  });
  return (
    <>
      <select
        aria-label={`Stage of version ${version.version}`}
        value={version.current_stage}
        disabled={transition.isPending}
        onChange={(e) => transition.mutate(e.target.value as ModelStage)}
      >
        {STAGES.map((stage) => (
          <option key={stage} value={stage}>
            {stage}
          </option>
        ))}
      </select>
      <ErrorMessage error={transition.error} />
    </>
  );
}

function Aliases({
  name,
  aliases,
  versions,
  editable,
}: {
  name: string;
  aliases: ReadonlyArray<{ alias: string; version: string }>;
  versions: string[];
  editable: boolean;
}) {
  const queryClient = useQueryClient();
  const [alias, setAlias] = useState('');
  const [version, setVersion] = useState('');
  const refresh = () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: ['model', name] }), queryClient.invalidateQueries({ queryKey: ['model-versions', name] })]);
  const set = useMutation({
    mutationFn: () => models.setAlias(name, alias.trim(), version || versions[0] || ''),
    onSuccess: async () => {
      setAlias('');
      await refresh();
    },
  });
  const remove = useMutation({ mutationFn: (a: string) => models.deleteAlias(name, a), onSuccess: refresh });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (alias.trim() !== '') set.mutate();
  };
  return (
    <div>
      {aliases.length === 0 ? (
        <p className="muted">No aliases.</p>
      ) : (
        <DataTable label="Aliases" headers={['Alias', 'Version', ...(editable ? [ACTIONS] : [])]}>
          {aliases.map((a) => (
            <tr key={a.alias}>
              <td className="mono">@{a.alias}</td>
              <td>
                <Link to={{ page: 'model', name, version: a.version }}>v{a.version}</Link>
              </td>
              {editable ? (
                <td>
                  <button type="button" className="danger" onClick={() => remove.mutate(a.alias)} aria-label={`Remove alias ${a.alias}`}>
                    Remove
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </DataTable>
      )}
      {editable ? (
        <form className="inline-form" onSubmit={submit} style={{ marginTop: '0.5rem' }}>
          <label htmlFor="alias-name">Set alias</label>
          <input id="alias-name" placeholder="champion" value={alias} onChange={(e) => setAlias(e.target.value)} />
          <label htmlFor="alias-version">to version</label>
          <select id="alias-version" value={version || versions[0] || ''} onChange={(e) => setVersion(e.target.value)}>
            {versions.map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
          <button type="submit" disabled={alias.trim() === '' || versions.length === 0 || set.isPending}>
            Set alias
          </button>
        </form>
      ) : null}
      <ErrorMessage error={set.error ?? remove.error} />
    </div>
  );
}
