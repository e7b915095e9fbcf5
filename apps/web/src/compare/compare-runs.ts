import type { Run } from '@cairn/contracts';

/** One row of the comparison table: a param or a metric (its latest value) across the compared runs. */
export interface DiffRow {
  kind: 'params' | 'metrics';
  key: string;
  /** One per compared run, in their order; undefined where a run has no such key. */
  values: Array<string | undefined>;
  /** True when not every run has the same value (a run without the key counts as different). */
  differs: boolean;
}

/** Params first, then metrics, each by key: the rows a reader scans for what changed between runs. */
export function diffRows(runs: readonly Run[]): DiffRow[] {
  const rows: DiffRow[] = [];
  for (const kind of ['params', 'metrics'] as const) {
    const keys = new Set<string>();
    for (const run of runs) for (const item of run.data[kind] ?? []) keys.add(item.key);
    for (const key of [...keys].sort()) {
      const values = runs.map((run) => {
        const found = (run.data[kind] ?? []).find((item) => item.key === key);
        return found === undefined ? undefined : String(found.value);
      });
      rows.push({ kind, key, values, differs: new Set(values).size > 1 });
    }
  }
  return rows;
}

/** The metric keys any of the runs logged, sorted. */
export function metricKeys(runs: readonly Run[]): string[] {
  return [...new Set(runs.flatMap((run) => (run.data.metrics ?? []).map((m) => m.key)))].sort();
}

/** Run ids in groups the server accepts per get-history-bulk-interval request (MLflow's limit: 100). */
export function inBatches<T>(items: readonly T[], size = 100): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}
