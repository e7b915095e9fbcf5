import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { models } from '../api/endpoints';
import { Empty, ErrorMessage, Loading } from '../components/feedback';
import { formatTime } from '../components/format';
import { Link } from '../components/link';
import { useDebounced } from '../components/use-debounced';
import type { Route } from '../routing/route';
import { navigate } from '../routing/use-route';
import { Pager } from './experiments-page';
import { DataTable } from '../components/data-table';

type ModelsRoute = Extract<Route, { page: 'models' }>;

/** Registered models: search by name, the latest versions and aliases at a glance. */
export function ModelsPage({ route }: { route: ModelsRoute }) {
  const [search, setSearch] = useState(route.search);
  const debounced = useDebounced(search, 250);
  useEffect(() => setSearch(route.search), [route.search]);
  useEffect(() => {
    if (debounced !== route.search) navigate({ ...route, search: debounced, token: '' }, { replace: true });
  }, [debounced]);
  const list = useQuery({
    queryKey: ['models', route.search, route.token],
    queryFn: () => models.search(route.search, route.token),
    placeholderData: keepPreviousData,
  });
  const rows = list.data?.registered_models ?? [];
  return (
    <section aria-labelledby="models-title">
      <h1 id="models-title" tabIndex={-1}>
        Registered models
      </h1>
      <div className="toolbar">
        <label className="sr-only" htmlFor="model-search">
          Search models
        </label>
        <input id="model-search" className="grow" type="search" placeholder="Search by name" value={search} onChange={(e) => setSearch(e.target.value)} />
      </div>
      <ErrorMessage error={list.error} />
      {list.isPending ? (
        <Loading what="models" />
      ) : list.error ? null : rows.length === 0 ? (
        <Empty>{route.search === '' ? 'No registered models yet.' : 'No model matches.'}</Empty>
      ) : (
        <DataTable label="Registered models" headers={['Name', 'Latest versions', 'Aliases', 'Last updated', 'Description']}>
          {rows.map((model) => (
            <tr key={model.name}>
              <td>
                <Link to={{ page: 'model', name: model.name, version: '' }}>{model.name}</Link>
              </td>
              <td>
                {(model.latest_versions ?? []).map((v) => (
                  <span key={v.version} className="tag-chip">
                    v{v.version}
                    {v.current_stage !== 'None' ? ` · ${v.current_stage}` : ''}
                  </span>
                ))}
              </td>
              <td>
                {(model.aliases ?? []).map((a) => (
                  <span key={a.alias} className="tag-chip">
                    @{a.alias} → v{a.version}
                  </span>
                ))}
              </td>
              <td>{formatTime(model.last_updated_timestamp)}</td>
              <td>{model.description ?? ''}</td>
            </tr>
          ))}
        </DataTable>
      )}
      <Pager token={route.token} next={list.data?.next_page_token} go={(token) => navigate({ ...route, token })} />
    </section>
  );
}
