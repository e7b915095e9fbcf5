/** What a snapshot needs from Postgres (a pool, a client or a transaction). */
interface Sql {
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
}

const IDENT = /^[a-z_]+(\.[a-z_]+)?$/;

/**
 * Every row of every table, as JSON objects in a deterministic order (the rows' own text), for
 * comparing a read model before and after a rebuild.
 */
export async function snapshotTables(sql: Sql, tables: ReadonlyArray<string | TableSnapshot>): Promise<Record<string, unknown[]>> {
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
      `SELECT row FROM (SELECT (to_jsonb(t)${dropped})${rank} AS row FROM ${spec.table} t) s ORDER BY row::text`,
    );
    snapshot[spec.table] = rows.map((r) => r.row);
  }
  return snapshot;
}
