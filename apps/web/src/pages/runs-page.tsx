import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { createColumnHelper, tableFeatures, useTable, type ReactTable } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { experiments, runs } from '../api/endpoints';
import { locateFilterError, splitAtError } from '../api/filter-error';
import { Empty, ErrorMessage, Loading } from '../components/feedback';
import { formatDuration, formatTime, formatValue } from '../components/format';
import { Link } from '../components/link';
import type { Route, RunsViewState } from '../routing/route';
import { navigate } from '../routing/use-route';
import {
  availableColumns,
  cellValue,
  columnId,
  filterColumns,
  formatOrderBy,
  nextOrderBy,
  parseColumn,
  parseOrderBy,
  treeRows,
  type KeyColumn,
  type OrderBy,
  type RunRow,
} from '../runs/run-rows';
import { Pager } from './experiments-page';

type RunsRoute = Extract<Route, { page: 'runs' }>;

const features = tableFeatures({});
const helper = createColumnHelper<typeof features, RunRow>();
const ROW_HEIGHT = 34;
const CHOOSER_ROW_HEIGHT = 28;

/** Width of each column, by id (key columns share one width). */
const WIDTHS: Record<string, number> = { select: 40, name: 300, status: 90, start_time: 215, duration: 100, user: 120 };
const widthOf = (id: string) => WIDTHS[id] ?? 140;
/** What each sortable column sorts by on the server (key columns: their own id). */
const SORTS: Record<string, string> = {
  name: 'attributes.run_name',
  status: 'attributes.status',
  start_time: 'attributes.start_time',
  user: 'attributes.user_id',
};
const sortOf = (id: string) => SORTS[id] ?? (parseColumn(id) ? id : undefined);

/**
 * The runs of an experiment: MLflow's filter box, sorting by any attribute or key on the server,
 * chosen metric/param/tag columns, parent/child runs as a tree, pages by token, virtualised rows.
 * Everything that shapes the view is in the URL, so a view can be shared by its link.
 */
export function RunsPage({ route }: { route: RunsRoute }) {
  const state = route.runs;
  const setState = (change: Partial<RunsViewState>, options?: { replace?: boolean }) =>
    navigate({ ...route, runs: { ...state, ...change, token: change.token ?? '' } }, options);
  const experiment = useQuery({ queryKey: ['experiment', route.experimentId], queryFn: () => experiments.get(route.experimentId) });
  const page = useQuery({
    queryKey: ['runs', route.experimentId, state.filter, state.orderBy, state.view, state.token],
    queryFn: () => runs.search(route.experimentId, state.filter, state.orderBy, state.view, state.token),
    placeholderData: keepPreviousData,
  });
  const loaded = useMemo(() => page.data?.runs ?? [], [page.data]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const rows = useMemo(() => treeRows(loaded, collapsed), [loaded, collapsed]);
  const keyColumns = useMemo(() => state.columns.map(parseColumn).filter((c): c is KeyColumn => c !== undefined), [state.columns]);
  const order = parseOrderBy(state.orderBy);
  const sortBy = (column: string) => setState({ orderBy: formatOrderBy(nextOrderBy(order, column)) });

  const columns = useMemo(
    () =>
      helper.columns([
        helper.display({
          id: 'select',
          header: () => (
            <input
              type="checkbox"
              aria-label="Select all runs on this page"
              checked={loaded.length > 0 && loaded.every((run) => selected.has(run.info.run_id))}
              onChange={(e) => setSelected(e.target.checked ? new Set([...selected, ...loaded.map((run) => run.info.run_id)]) : new Set())}
            />
          ),
          cell: ({ row }) => (
            <input
              type="checkbox"
              aria-label={`Select run ${row.original.run.info.run_name || row.original.run.info.run_id}`}
              checked={selected.has(row.original.run.info.run_id)}
              onChange={() => setSelected(toggled(selected, row.original.run.info.run_id))}
            />
          ),
        }),
        helper.display({
          id: 'name',
          header: () => <SortButton column="attributes.run_name" order={order} sortBy={sortBy} label="Run" />,
          cell: ({ row }) => <RunNameCell row={row.original} experimentId={route.experimentId} collapsed={collapsed} setCollapsed={setCollapsed} />,
        }),
        helper.display({
          id: 'status',
          header: () => <SortButton column="attributes.status" order={order} sortBy={sortBy} label="Status" />,
          cell: ({ row }) => <span className={`status ${row.original.run.info.status}`}>{row.original.run.info.status}</span>,
        }),
        helper.display({
          id: 'start_time',
          header: () => <SortButton column="attributes.start_time" order={order} sortBy={sortBy} label="Started" />,
          cell: ({ row }) => formatTime(row.original.run.info.start_time),
        }),
        helper.display({
          id: 'duration',
          header: 'Duration',
          cell: ({ row }) => formatDuration(row.original.run.info.start_time, row.original.run.info.end_time),
        }),
        helper.display({
          id: 'user',
          header: () => <SortButton column="attributes.user_id" order={order} sortBy={sortBy} label="User" />,
          cell: ({ row }) => row.original.run.info.user_id,
        }),
        ...keyColumns.map((column) =>
          helper.display({
            id: columnId(column),
            header: () => <SortButton column={columnId(column)} order={order} sortBy={sortBy} label={`${column.kind.replace(/s$/, '')}: ${column.key}`} />,
            cell: ({ row }) => formatValue(cellValue(row.original.run, column)),
          }),
        ),
      ]),
    // The header and cell renderers close over the view state; rebuild when it changes.
    [keyColumns, selected, collapsed, state.orderBy, route.experimentId, loaded],
  );
  const table = useTable({ features, columns, data: rows, getRowId: (row) => row.run.info.run_id });

  const name = experiment.data?.experiment.name ?? `Experiment ${route.experimentId}`;
  const filterProblem = page.error instanceof ApiError && page.error.status === 400 && !/order_by/.test(page.error.message) ? page.error : undefined;

  return (
    <section aria-labelledby="runs-title">
      <p className="muted">
        <Link to={{ page: 'experiments', search: '', view: 'active', token: '' }}>Experiments</Link> / {route.experimentId}
      </p>
      <h1 id="runs-title" tabIndex={-1}>
        {name}
      </h1>
      <ErrorMessage error={experiment.error} />
      <FilterBox filter={state.filter} apply={(filter) => setState({ filter })} problem={filterProblem} />
      <div className="toolbar">
        <label>
          Show{' '}
          <select value={state.view} onChange={(e) => setState({ view: e.target.value === 'deleted' ? 'deleted' : 'active' })}>
            <option value="active">Active runs</option>
            <option value="deleted">Deleted runs</option>
          </select>
        </label>
        <ColumnChooser
          available={availableColumns(loaded)}
          chosen={state.columns}
          choose={(columns) => setState({ columns, token: state.token }, { replace: true })}
        />
        <span className="muted" role="status">
          {page.isFetching ? 'Loading…' : `${loaded.length}${page.data?.next_page_token ? '+' : ''} runs on this page`}
          {selected.size > 0 ? ` · ${selected.size} selected` : ''}
        </span>
        {selected.size > 0 ? (
          <>
            <button
              type="button"
              className="primary"
              disabled={selected.size < 2}
              onClick={() => navigate({ page: 'compare', experimentIds: [route.experimentId], runIds: [...selected], metric: '', axis: 'step', smoothing: 0 })}
            >
              Compare {selected.size} runs
            </button>
            <button type="button" onClick={() => setSelected(new Set())}>
              Clear selection
            </button>
          </>
        ) : null}
      </div>
      {filterProblem ? null : <ErrorMessage error={page.error} />}
      {page.isPending ? (
        <Loading what="runs" />
      ) : page.error ? null : rows.length === 0 ? (
        <Empty>{state.filter === '' ? 'No runs in this experiment yet.' : 'No run matches the filter.'}</Empty>
      ) : (
        <RunsGrid table={table} rowCount={rows.length} order={order} />
      )}
      <Pager token={state.token} next={page.data?.next_page_token} go={(token) => setState({ token })} />
    </section>
  );
}

function toggled(set: ReadonlySet<string>, id: string): ReadonlySet<string> {
  const next = new Set(set);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}

type RunsTable = ReactTable<typeof features, RunRow>;

/** Only the rows in view (plus a few) are in the DOM: 100 or 10,000 rows scroll the same. */
function RunsGrid({ table, rowCount, order }: { table: RunsTable; rowCount: number; order: OrderBy }) {
  const scroller = useRef<HTMLDivElement>(null);
  const tableRows = table.getRowModel().rows;
  const virtualizer = useVirtualizer({
    count: tableRows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: (index) => tableRows[index]?.id ?? index,
    overscan: 10,
  });
  const width = table.getAllLeafColumns().reduce((sum, column) => sum + widthOf(column.id), 0);
  return (
    <div className="runs-grid" ref={scroller} role="grid" aria-label="Runs" aria-rowcount={rowCount + 1} tabIndex={0}>
      {table.getHeaderGroups().map((group) => (
        <div role="row" className="header-row" key={group.id} aria-rowindex={1} style={{ width }}>
          {group.headers.map((header) => (
            <div
              role="columnheader"
              key={header.id}
              style={{ width: widthOf(header.column.id) }}
              aria-sort={sortOf(header.column.id) === order.column ? (order.descending ? 'descending' : 'ascending') : undefined}
            >
              <table.FlexRender header={header} />
            </div>
          ))}
        </div>
      ))}
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative', width }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = tableRows[item.index];
          if (row === undefined) return null;
          return (
            <div
              role="row"
              className="body-row"
              key={row.id}
              aria-rowindex={item.index + 2}
              style={{ position: 'absolute', top: 0, transform: `translateY(${item.start}px)`, height: ROW_HEIGHT, width }}
            >
              {row.getAllCells().map((cell) => (
                <div role="gridcell" key={cell.id} style={{ width: widthOf(cell.column.id) }}>
                  <table.FlexRender cell={cell} />
                </div>
              ))}
            </div>
          );
        })}
      </div>
    </div>
  );
}

function RunNameCell({
  row,
  experimentId,
  collapsed,
  setCollapsed,
}: {
  row: RunRow;
  experimentId: string;
  collapsed: ReadonlySet<string>;
  setCollapsed(set: ReadonlySet<string>): void;
}) {
  const { run, depth, children } = row;
  const name = run.info.run_name || run.info.run_id;
  return (
    <span style={{ paddingLeft: `${depth * 1.25}rem` }}>
      {children > 0 ? (
        <button
          type="button"
          className="tree-toggle"
          aria-expanded={!collapsed.has(run.info.run_id)}
          aria-label={`${collapsed.has(run.info.run_id) ? 'Show' : 'Hide'} ${children} child runs of ${name}`}
          onClick={() => setCollapsed(toggled(collapsed, run.info.run_id))}
        >
          {collapsed.has(run.info.run_id) ? '▸' : '▾'}
        </button>
      ) : (
        <span className="tree-toggle" style={{ display: 'inline-block' }} />
      )}
      <Link to={{ page: 'run', experimentId, runId: run.info.run_id, tab: 'overview', artifact: '' }}>{name}</Link>
      {children > 0 ? <span className="muted"> ({children})</span> : null}
    </span>
  );
}

function SortButton({ column, order, sortBy, label }: { column: string; order: OrderBy; sortBy(column: string): void; label: string }) {
  const active = order.column === column;
  return (
    <button type="button" className="sort" onClick={() => sortBy(column)} title={`Sort by ${label}`}>
      {label}
      {active ? (order.descending ? ' ↓' : ' ↑') : ''}
    </button>
  );
}

/**
 * MLflow's filter grammar, sent as typed to runs/search. A 400 from the server is shown under the
 * box with the part of the string it points at marked.
 */
function FilterBox({ filter, apply, problem }: { filter: string; apply(filter: string): void; problem: ApiError | undefined }) {
  const [draft, setDraft] = useState(filter);
  useEffect(() => setDraft(filter), [filter]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply(draft.trim());
  };
  const located = problem ? locateFilterError(problem.message, filter) : undefined;
  const parts = located ? splitAtError(filter, located) : undefined;
  return (
    <form className="toolbar" onSubmit={submit} role="search">
      <label htmlFor="run-filter" className="sr-only">
        Filter runs
      </label>
      <input
        id="run-filter"
        className="grow mono"
        type="search"
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        placeholder="metrics.rmse < 1 and params.model = 'tree' and tags.mlflow.source.type = 'NOTEBOOK'"
        aria-invalid={problem !== undefined}
        aria-describedby={problem ? 'run-filter-error' : undefined}
        spellCheck={false}
      />
      <button type="submit" className="primary">
        Search
      </button>
      {filter !== '' ? (
        <button type="button" onClick={() => apply('')}>
          Clear
        </button>
      ) : null}
      {problem && located ? (
        <div id="run-filter-error" className="error" role="alert" style={{ flexBasis: '100%' }}>
          <strong>{located.message}</strong> <code className="error-code">{problem.errorCode}</code>
          {parts ? (
            <code className="filter-error-at" aria-label={`at position ${located.position ?? 0}`}>
              {parts.before}
              <mark>{parts.at === '' ? ' ' : parts.at}</mark>
              {parts.after}
            </code>
          ) : null}
        </div>
      ) : null}
    </form>
  );
}

/**
 * Columns from every metric, param and tag key of the loaded runs: searchable, and a virtual list
 * (only the keys in view are in the DOM), since there can be thousands.
 */
function ColumnChooser({ available, chosen, choose }: { available: KeyColumn[]; chosen: string[]; choose(columns: string[]): void }) {
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState('');
  const panel = useRef<HTMLDivElement>(null);
  const matches = useMemo(() => filterColumns(available, search), [available, search]);
  const list = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: matches.length,
    getScrollElement: () => list.current,
    estimateSize: () => CHOOSER_ROW_HEIGHT,
    overscan: 8,
  });
  const shownKeys = virtualizer.getVirtualItems();
  const toggle = (id: string) => choose(chosen.includes(id) ? chosen.filter((c) => c !== id) : [...chosen, id]);
  useEffect(() => {
    if (open) panel.current?.querySelector('input')?.focus();
  }, [open]);
  return (
    <div className="column-chooser" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
        Columns ({chosen.length})
      </button>
      {open ? (
        <div className="panel" ref={panel} role="group" aria-label="Choose columns">
          <label className="sr-only" htmlFor="column-search">
            Search keys
          </label>
          <input id="column-search" type="search" placeholder={`Search ${available.length} keys`} value={search} onChange={(e) => setSearch(e.target.value)} />
          {chosen.length > 0 ? (
            <button type="button" className="link" onClick={() => choose([])} style={{ marginLeft: '0.5rem' }}>
              Clear all
            </button>
          ) : null}
          <p className="muted" role="status">
            {search === '' ? `${available.length} keys` : `${matches.length} of ${available.length} keys match`}
          </p>
          <div ref={list} className="chooser-list" style={{ maxHeight: 12 * CHOOSER_ROW_HEIGHT, overflow: 'auto' }}>
            {/* Spacers above and below the keys in view keep the scrollbar true to the whole list. */}
            <div style={{ paddingTop: shownKeys[0]?.start ?? 0, paddingBottom: virtualizer.getTotalSize() - (shownKeys[shownKeys.length - 1]?.end ?? 0) }}>
              {shownKeys.map((item) => {
                const column = matches[item.index];
                if (column === undefined) return null;
                const id = columnId(column);
                return (
                  <label key={id} style={{ height: CHOOSER_ROW_HEIGHT }}>
                    <input type="checkbox" checked={chosen.includes(id)} onChange={() => toggle(id)} /> <span className="mono">{id}</span>
                  </label>
                );
              })}
            </div>
          </div>
          {available.length === 0 ? <p className="muted">The runs on this page log no metrics, params or tags.</p> : null}
        </div>
      ) : null}
    </div>
  );
}
