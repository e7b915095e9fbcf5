import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useEffect, useState, type FormEvent } from 'react';
import { experiments, type Experiment } from '../api/endpoints';
import { useCan } from '../auth/use-can';
import { Empty, ErrorMessage, Loading } from '../components/feedback';
import { formatTime } from '../components/format';
import { Link } from '../components/link';
import { TagEditor } from '../components/tag-editor';
import type { Route } from '../routing/route';
import { navigate } from '../routing/use-route';
import { useDebounced } from '../components/use-debounced';
import { ACTIONS, DataTable } from '../components/data-table';

type ExperimentsRoute = Extract<Route, { page: 'experiments' }>;

/** Experiments: search by name (or an MLflow filter), create, rename, delete/restore, tags. */
export function ExperimentsPage({ route }: { route: ExperimentsRoute }) {
  const [search, setSearch] = useState(route.search);
  const debounced = useDebounced(search, 250);
  // The URL follows the box (debounced) and the box follows the URL (back/forward, a pasted link).
  useEffect(() => setSearch(route.search), [route.search]);
  useEffect(() => {
    if (debounced !== route.search) navigate({ ...route, search: debounced, token: '' }, { replace: true });
  }, [debounced]);
  const list = useQuery({
    queryKey: ['experiments', route.search, route.view, route.token],
    queryFn: () => experiments.search(route.search, route.view, route.token),
    placeholderData: keepPreviousData,
  });
  const [editing, setEditing] = useState<string | undefined>();
  // Another search or page closes the open editor (it belongs to the list it was opened in).
  useEffect(() => setEditing(undefined), [route.search, route.view, route.token]);
  const rows = list.data?.experiments ?? [];
  const can = useCan();

  return (
    <section aria-labelledby="experiments-title">
      <h1 id="experiments-title" tabIndex={-1}>
        Experiments
      </h1>
      <div className="toolbar">
        <label className="sr-only" htmlFor="experiment-search">
          Search experiments
        </label>
        <input
          id="experiment-search"
          className="grow"
          type="search"
          placeholder="Search by name, or an MLflow filter such as tags.team = 'cv'"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <label>
          Show{' '}
          <select value={route.view} onChange={(e) => navigate({ ...route, view: e.target.value === 'deleted' ? 'deleted' : 'active', token: '' })}>
            <option value="active">Active</option>
            <option value="deleted">Deleted</option>
          </select>
        </label>
        <CreateExperiment />
      </div>
      <ErrorMessage error={list.error} />
      {list.isPending ? (
        <Loading what="experiments" />
      ) : list.error ? null : rows.length === 0 ? (
        <Empty>{route.search === '' ? 'No experiments yet.' : 'No experiment matches.'}</Empty>
      ) : (
        <DataTable label="Experiments" headers={['Name', 'ID', 'Created', 'Last updated', 'Tags', ACTIONS]}>
          {rows.map((experiment) => (
            <Fragment key={experiment.experiment_id}>
              <tr className={experiment.lifecycle_stage === 'deleted' ? 'deleted' : ''}>
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
                <td className="mono">{experiment.experiment_id}</td>
                <td>{formatTime(experiment.creation_time)}</td>
                <td>{formatTime(experiment.last_update_time)}</td>
                <td>
                  {(experiment.tags ?? [])
                    .filter((t) => !t.key.startsWith('mlflow.'))
                    .map((t) => (
                      <span key={t.key} className="tag-chip">
                        {t.key}: {t.value}
                      </span>
                    ))}
                </td>
                <td>
                  {/* Renaming and tags need EDIT; the list shows only what the user may read (the server filters it). */}
                  {can('experiment', experiment.experiment_id, 'EDIT') ? (
                    <button
                      type="button"
                      aria-expanded={editing === experiment.experiment_id}
                      onClick={() => setEditing(editing === experiment.experiment_id ? undefined : experiment.experiment_id)}
                    >
                      Edit
                    </button>
                  ) : null}
                </td>
              </tr>
              {editing === experiment.experiment_id ? (
                <tr>
                  <td colSpan={6}>
                    <ExperimentEditor experiment={experiment} mayDelete={can('experiment', experiment.experiment_id, 'MANAGE')} />
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </DataTable>
      )}
      <Pager token={route.token} next={list.data?.next_page_token} go={(token) => navigate({ ...route, token })} />
    </section>
  );
}

function CreateExperiment() {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => experiments.create(name.trim()),
    onSuccess: async (created) => {
      setName('');
      await queryClient.invalidateQueries({ queryKey: ['experiments'] });
      navigate({
        page: 'runs',
        experimentId: created.experiment_id,
        runs: { filter: '', orderBy: 'attributes.start_time DESC', columns: [], view: 'active', token: '' },
      });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() !== '') create.mutate();
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <label htmlFor="new-experiment" className="sr-only">
        New experiment name
      </label>
      <input id="new-experiment" placeholder="New experiment name" value={name} onChange={(e) => setName(e.target.value)} />
      <button type="submit" className="primary" disabled={name.trim() === '' || create.isPending}>
        Create
      </button>
      <ErrorMessage error={create.error} />
    </form>
  );
}

function ExperimentEditor({ experiment, mayDelete }: { experiment: Experiment; mayDelete: boolean }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(experiment.name);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['experiments'] });
  const rename = useMutation({ mutationFn: () => experiments.rename(experiment.experiment_id, name.trim()), onSuccess: refresh });
  const lifecycle = useMutation({
    mutationFn: () => (experiment.lifecycle_stage === 'deleted' ? experiments.restore(experiment.experiment_id) : experiments.delete(experiment.experiment_id)),
    onSuccess: refresh,
  });
  const id = `rename-${experiment.experiment_id}`;
  return (
    <div>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim() !== '' && name.trim() !== experiment.name) rename.mutate();
        }}
      >
        <label htmlFor={id}>Name</label>
        <input id={id} value={name} onChange={(e) => setName(e.target.value)} />
        <button type="submit" disabled={name.trim() === '' || name.trim() === experiment.name || rename.isPending}>
          Rename
        </button>
        {mayDelete ? (
          <button
            type="button"
            className={experiment.lifecycle_stage === 'deleted' ? '' : 'danger'}
            onClick={() => lifecycle.mutate()}
            disabled={lifecycle.isPending}
          >
            {experiment.lifecycle_stage === 'deleted' ? 'Restore' : 'Delete'}
          </button>
        ) : null}
      </form>
      <ErrorMessage error={rename.error ?? lifecycle.error} />
      <h2>Tags</h2>
      <TagEditor
        label={`Tags of ${experiment.name}`}
        tags={experiment.tags ?? []}
        hideSystem
        invalidates={['experiments']}
        setTag={(key, value) => experiments.setTag(experiment.experiment_id, key, value)}
        deleteTag={(key) => experiments.deleteTag(experiment.experiment_id, key)}
      />
    </div>
  );
}

/** Server-side paging: tokens only go forward, so "previous" is the browser's back (the token is in the URL). */
export function Pager({ token, next, go }: { token: string; next: string | undefined; go(token: string): void }) {
  if (token === '' && next === undefined) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={() => go('')} disabled={token === ''}>
        First page
      </button>
      <button type="button" onClick={() => window.history.back()} disabled={token === ''}>
        Previous
      </button>
      <button type="button" className="primary" onClick={() => next !== undefined && go(next)} disabled={next === undefined}>
        Next page
      </button>
    </nav>
  );
}
