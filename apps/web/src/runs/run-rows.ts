import type { Run } from '@cairn/contracts';

/** A column of the runs table beyond the fixed ones: one metric, param or tag key. */
export interface KeyColumn {
  kind: 'metrics' | 'params' | 'tags';
  key: string;
}

/** Attributes the runs table can sort by (MLflow's orderable run attributes). */
export const SORTABLE_ATTRIBUTES = ['start_time', 'end_time', 'run_name', 'status', 'user_id'] as const;

export const PARENT_RUN_TAG = 'mlflow.parentRunId';

/** `metrics.loss` → { kind: 'metrics', key: 'loss' }; anything else is not a key column. */
export function parseColumn(id: string): KeyColumn | undefined {
  const match = /^(metrics|params|tags)\.(.+)$/.exec(id);
  if (!match?.[1] || !match[2]) return undefined;
  return { kind: match[1] as KeyColumn['kind'], key: match[2] };
}

export function columnId(column: KeyColumn): string {
  return `${column.kind}.${column.key}`;
}

/**
 * An identifier for the MLflow search grammar (filter and order_by): keys that are not plain words
 * (`train/loss`, `my key`) go in backticks, which MLflow's parser reads as a quoted key.
 */
export function searchIdentifier(kind: 'metrics' | 'params' | 'tags' | 'attributes', key: string): string {
  return /^[A-Za-z_][\w]*$/.test(key) ? `${kind}.${key}` : `${kind}.\`${key.replace(/`/g, '')}\``;
}

export interface OrderBy {
  /** `attributes.start_time`, `metrics.loss`, … as a column id (unquoted key). */
  column: string;
  descending: boolean;
}

/** Reads the URL's order_by clause back into a column and direction (for the header arrows). */
export function parseOrderBy(clause: string): OrderBy {
  const match = /^\s*(metrics|params|tags|attributes|attribute|attr|run)\.(`([^`]*)`|"([^"]*)"|[^\s]+)\s*(ASC|DESC)?\s*$/i.exec(clause);
  if (!match) return { column: 'attributes.start_time', descending: true };
  const kind = match[1]?.toLowerCase() ?? 'attributes';
  const key = match[3] ?? match[4] ?? match[2] ?? '';
  return { column: `${['attribute', 'attr', 'run'].includes(kind) ? 'attributes' : kind}.${key}`, descending: match[5]?.toUpperCase() === 'DESC' };
}

export function formatOrderBy(order: OrderBy): string {
  const dot = order.column.indexOf('.');
  const kind = order.column.slice(0, dot) as 'metrics' | 'params' | 'tags' | 'attributes';
  return `${searchIdentifier(kind, order.column.slice(dot + 1))} ${order.descending ? 'DESC' : 'ASC'}`;
}

/** Clicking a header: a new column sorts descending for metrics (best-last losses aside, people look for the top), ascending otherwise; the same column flips. */
export function nextOrderBy(current: OrderBy, column: string): OrderBy {
  if (current.column === column) return { column, descending: !current.descending };
  return { column, descending: column.startsWith('metrics.') || column === 'attributes.start_time' };
}

/** The value a run shows in a key column (metrics: the latest value). */
export function cellValue(run: Run, column: KeyColumn): string | number | undefined {
  switch (column.kind) {
    case 'metrics':
      return run.data.metrics?.find((m) => m.key === column.key)?.value;
    case 'params':
      return run.data.params?.find((p) => p.key === column.key)?.value;
    case 'tags':
      return run.data.tags?.find((t) => t.key === column.key)?.value;
  }
}

export function tagOf(run: Run, key: string): string | undefined {
  return run.data.tags?.find((t) => t.key === key)?.value;
}

/** Every metric/param/tag key the loaded runs have, for the column chooser (sorted, deduplicated). */
export function availableColumns(runs: readonly Run[]): KeyColumn[] {
  const seen = new Map<string, KeyColumn>();
  for (const run of runs) {
    for (const m of run.data.metrics ?? []) seen.set(`metrics.${m.key}`, { kind: 'metrics', key: m.key });
    for (const p of run.data.params ?? []) seen.set(`params.${p.key}`, { kind: 'params', key: p.key });
    for (const t of run.data.tags ?? []) if (!t.key.startsWith('mlflow.')) seen.set(`tags.${t.key}`, { kind: 'tags', key: t.key });
  }
  return [...seen.values()].sort((a, b) => columnId(a).localeCompare(columnId(b)));
}

/**
 * The column chooser's search: every word typed must appear in the column id (`val loss` finds
 * `metrics.val/loss` and `metrics.loss_val`), case-insensitively; an empty search keeps them all.
 */
export function filterColumns(columns: readonly KeyColumn[], search: string): KeyColumn[] {
  const words = search
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '');
  if (words.length === 0) return [...columns];
  return columns.filter((column) => {
    const id = columnId(column).toLowerCase();
    return words.every((w) => id.includes(w));
  });
}

export interface RunRow {
  run: Run;
  depth: number;
  /** How many runs of this page name it as their parent. */
  children: number;
}

/**
 * The page's runs as a tree: each child right under its parent (in the server's order among
 * siblings), collapsed parents hiding their descendants. A child whose parent is not on this page
 * (another page, or filtered out) is shown at the top level, so no run disappears.
 */
export function treeRows(runs: readonly Run[], collapsed: ReadonlySet<string>): RunRow[] {
  const onPage = new Set(runs.map((r) => r.info.run_id));
  const childrenOf = new Map<string, Run[]>();
  const roots: Run[] = [];
  for (const run of runs) {
    const parent = tagOf(run, PARENT_RUN_TAG);
    if (parent !== undefined && parent !== run.info.run_id && onPage.has(parent)) {
      const siblings = childrenOf.get(parent) ?? [];
      siblings.push(run);
      childrenOf.set(parent, siblings);
    } else roots.push(run);
  }
  const rows: RunRow[] = [];
  const visit = (run: Run, depth: number, path: Set<string>) => {
    const kids = childrenOf.get(run.info.run_id) ?? [];
    rows.push({ run, depth, children: kids.length });
    if (collapsed.has(run.info.run_id)) return;
    for (const kid of kids) if (!path.has(kid.info.run_id)) visit(kid, depth + 1, new Set([...path, kid.info.run_id]));
  };
  for (const root of roots) visit(root, 0, new Set([root.info.run_id]));
  return rows;
}
