import type { ContextName } from '@cairn/contracts';
import type { TransactionRunner, UnitOfWork } from '@cairn/platform';
import type { ReadModelRebuild } from './read-model-rebuild';

/** What a snapshot needs from Postgres (a pool, a client or a transaction). */
interface Queryable {
  query<R>(text: string, params?: readonly unknown[]): Promise<{ rows: R[] }>;
}

/**
 * How one table is compared: every column, except `exclude` (columns that are not a function of the
 * events — say why where it is used), and `orderWithin` for a surrogate key whose values a replay
 * draws anew but whose order matters (it is replaced by the row's rank within `partition`).
 */
export interface TableSnapshot {
  table: string;
  exclude?: readonly string[];
  orderWithin?: { column: string; partition: readonly string[] };
  /**
   * The rows to compare, when they are not the table's own (a query, trusted SQL from code): say,
   * metric points unnested from their chunks, which compaction merges without changing a point.
   */
  rows?: string;
}

const IDENT = /^[a-z_]+(\.[a-z_]+)?$/;

/**
 * Every row of every table, as JSON objects in a deterministic order (the rows' own text), for
 * comparing a read model with a rebuild of it (verify, and the rebuild tests).
 */
export async function snapshotTables(sql: Queryable, tables: ReadonlyArray<string | TableSnapshot>): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const entry of tables) {
    const spec = typeof entry === 'string' ? { table: entry } : entry;
    const names = [spec.table, ...(spec.exclude ?? []), ...(spec.orderWithin ? [spec.orderWithin.column, ...spec.orderWithin.partition] : [])];
    for (const name of names) if (!IDENT.test(name)) throw new Error(`not an identifier: ${name}`);
    const dropped = [...(spec.exclude ?? []), ...(spec.orderWithin ? [spec.orderWithin.column] : [])].map((c) => ` - '${c}'`).join('');
    const rank = spec.orderWithin
      ? ` || jsonb_build_object('${spec.orderWithin.column}_rank', row_number() OVER (PARTITION BY ${spec.orderWithin.partition.join(', ')} ORDER BY ${spec.orderWithin.column}))`
      : '';
    const { rows } = await sql.query<{ row: unknown }>(
      `SELECT row FROM (SELECT (to_jsonb(t)${dropped})${rank} AS row FROM ${spec.rows === undefined ? spec.table : `(${spec.rows})`} t) s ORDER BY row::text`,
    );
    snapshot[spec.table] = rows.map((r) => r.row);
  }
  return snapshot;
}

/** A context's read model and how it is rebuilt from the event logs (each context's infra/read-model-rebuild.ts). */
export interface ReadModelCheck {
  context: ContextName;
  tables: ReadonlyArray<string | TableSnapshot>;
  rebuild(tx: UnitOfWork): Promise<unknown>;
  /** How the rebuild replays, for the online rebuild (read-model-online-rebuild.ts): `tx` is where the projection writes. */
  plan(tx: UnitOfWork): ReadModelRebuild;
}

export interface TableDifference {
  table: string;
  /** Rows the live read model has and a rebuild does not (first `sample`), and how many in all. */
  projectionOnly: unknown[];
  projectionOnlyCount: number;
  /** Rows a rebuild has and the live read model does not. */
  rebuildOnly: unknown[];
  rebuildOnlyCount: number;
}

export interface VerifyReport {
  context: ContextName;
  tables: number;
  rows: number;
  differences: TableDifference[];
}

/** Rows of `a` not matched in `b`, as a multiset (a duplicated row counts twice). */
function minus(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  const counts = new Map<string, number>();
  for (const row of b) counts.set(JSON.stringify(row), (counts.get(JSON.stringify(row)) ?? 0) + 1);
  return a.filter((row) => {
    const key = JSON.stringify(row);
    const n = counts.get(key) ?? 0;
    if (n === 0) return true;
    counts.set(key, n - 1);
    return false;
  });
}

class Discarded extends Error {}

/**
 * Projection against rebuild: in one REPEATABLE READ transaction (the read model and the logs the
 * rebuild replays are read in the same snapshot, so a write committed meanwhile is in neither), reads the read model, rebuilds it from the logs
 * (through the very projection production runs), reads it again, and rolls everything back —
 * nothing is changed. The rebuild empties the tables, so the context's readers and writers wait
 * for the verify's transaction: run it when a pause of that length is acceptable.
 */
export async function verifyReadModel(database: TransactionRunner, check: ReadModelCheck, options: { sample?: number } = {}): Promise<VerifyReport> {
  const sample = options.sample ?? 20;
  let report: VerifyReport | undefined;
  const discarded = new Discarded('verify never commits');
  try {
    await database.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const live = await snapshotTables(tx, check.tables);
      await check.rebuild(tx);
      const rebuilt = await snapshotTables(tx, check.tables);
      const differences: TableDifference[] = [];
      for (const [table, rows] of Object.entries(live)) {
        const projectionOnly = minus(rows, rebuilt[table] ?? []);
        const rebuildOnly = minus(rebuilt[table] ?? [], rows);
        if (projectionOnly.length > 0 || rebuildOnly.length > 0)
          differences.push({
            table,
            projectionOnly: projectionOnly.slice(0, sample),
            projectionOnlyCount: projectionOnly.length,
            rebuildOnly: rebuildOnly.slice(0, sample),
            rebuildOnlyCount: rebuildOnly.length,
          });
      }
      report = { context: check.context, tables: check.tables.length, rows: Object.values(live).reduce((n, r) => n + r.length, 0), differences };
      throw discarded;
    });
  } catch (error) {
    if (error !== discarded) throw error;
  }
  if (report === undefined) throw new Error('verify produced no report');
  return report;
}
