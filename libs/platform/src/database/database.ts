import { Pool, type PoolClient, type PoolConfig, type QueryResultRow } from 'pg';
import { canPipeline, commitPipelined, type DeferredStatement } from './commit-pipeline';

/** A connection (pooled or inside a transaction) that repositories run SQL on. */
export interface Sql {
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  /** A named statement: each pooled connection parses and plans it once, then only binds values (hot paths). */
  query<R extends QueryResultRow = QueryResultRow>(statement: NamedStatement): Promise<{ rows: R[]; rowCount: number | null }>;
}

export interface NamedStatement {
  name: string;
  text: string;
  values: unknown[];
}

export type TransactionClient = PoolClient;

// Serialization failures and deadlocks are safe to retry: the transaction was rolled back whole.
const RETRIABLE_SQLSTATES = new Set(['40001', '40P01']);

/** Statements queued by `deferUntilCommit`, per open transaction of `Database.transaction`. */
const deferredOf = new WeakMap<PoolClient, DeferredStatement[]>();

/**
 * Queues `statement` to run when `tx` commits, in the same write as the COMMIT (one round trip for
 * all of them). Queued statements run after everything `work` awaited, in the order queued; the
 * first to fail rolls the whole transaction back and its error (through `mapError`) is what
 * `Database.transaction` throws. Only for statements whose result the command does not use.
 */
export function deferUntilCommit(tx: TransactionClient, statement: DeferredStatement): void {
  const queue = deferredOf.get(tx);
  if (!queue) throw new Error('deferUntilCommit needs a transaction opened by Database.transaction');
  queue.push(statement);
}

/** Runs the queued statements one by one, then COMMIT: their first use on a connection prepares them. */
async function commitOneByOne(client: PoolClient, statements: readonly DeferredStatement[]): Promise<void> {
  for (const statement of statements) {
    try {
      await client.query({ name: statement.name, text: statement.text, values: statement.values });
    } catch (error) {
      throw statement.mapError ? statement.mapError(error) : error;
    }
  }
  await client.query('COMMIT');
}

/**
 * The project's access to Postgres through `pg`. Prisma serves ordinary read models from `infra/`;
 * hot paths and the event store use this directly with set-based SQL.
 */
export class Database implements Sql {
  readonly pool: Pool;

  constructor(
    readonly url: string,
    options: Omit<PoolConfig, 'connectionString'> = {},
  ) {
    // Named statements (the write path's: run lock, event append, metric projection) are prepared
    // once per connection; without forcing generic plans Postgres re-plans them on every call while
    // a custom plan looks cheaper — for a one-point write, planning the append cost as much as running
    // it. Unnamed statements are always planned per call, so nothing else changes. (A connection
    // string's own `options` takes precedence.)
    this.pool = new Pool({ connectionString: url, max: 20, idleTimeoutMillis: 30_000, options: '-c plan_cache_mode=force_generic_plan', ...options });
    // An idle client losing its server connection must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
  }

  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  query<R extends QueryResultRow = QueryResultRow>(statement: NamedStatement): Promise<{ rows: R[]; rowCount: number | null }>;
  query<R extends QueryResultRow = QueryResultRow>(textOrStatement: string | NamedStatement, params?: readonly unknown[]) {
    return typeof textOrStatement === 'string' ? this.pool.query<R>(textOrStatement, params as unknown[] | undefined) : this.pool.query<R>(textOrStatement);
  }

  /**
   * Runs `work` in one transaction, retrying on serialization failure/deadlock a few times.
   *
   * `opening`: a first statement sent together with BEGIN, in one message and one round trip; `work`
   * gets its rows. On this project's machines a round trip to Postgres costs more CPU than a small
   * statement (each socket write is ~0.1 ms), so the hottest commands open this way. The statement
   * goes as text without parameters: only ever pass SQL whose values the caller has validated to be
   * inert (a run id checked to be hex, say), never text from a request.
   */
  async transaction<T>(
    work: (tx: TransactionClient, opened: QueryResultRow[]) => Promise<T>,
    { retries = 3, opening }: { retries?: number; opening?: string } = {},
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.pool.connect();
      try {
        let opened: QueryResultRow[] = [];
        if (opening === undefined) await client.query('BEGIN');
        else {
          // A simple query with several statements answers with one result per statement.
          const results = (await client.query(`BEGIN; ${opening}`)) as unknown as Array<{ rows: QueryResultRow[] }>;
          opened = results[1]?.rows ?? [];
        }
        const deferred: DeferredStatement[] = [];
        deferredOf.set(client, deferred);
        const result = await work(client, opened);
        if (deferred.length === 0) await client.query('COMMIT');
        else if (canPipeline(client, deferred)) await commitPipelined(client, deferred);
        else await commitOneByOne(client, deferred);
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        const code = (error as { code?: string }).code;
        if (attempt < retries && code !== undefined && RETRIABLE_SQLSTATES.has(code)) continue;
        throw error;
      } finally {
        deferredOf.delete(client);
        client.release();
      }
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
