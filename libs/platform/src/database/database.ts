import { DatabaseError, Pool, type PoolClient, type QueryResultRow } from 'pg';
import { CairnError } from '@cairn/contracts';
import { PreparedStatements, runPipelined } from './pipeline';
import type { DeferredStatement, NamedStatement, Sql, TransactionOptions, TransactionRunner, UnitOfWork } from './unit-of-work';

/** Bounds on every wait for Postgres: no request may wait forever for a connection, a lock or a statement. */
export interface DatabaseOptions {
  /** Connections in this process's pool (pinned sessions — relays, LISTENers — included). */
  max?: number;
  /** How long a request waits for a pooled connection before it is refused with 503. */
  acquireTimeoutMs?: number;
  /** Postgres cancels a statement running longer (0 = no limit). */
  statementTimeoutMs?: number;
  /** Postgres ends a session idle inside a transaction this long (0 = no limit). */
  idleInTransactionTimeoutMs?: number;
}

export const DATABASE_DEFAULTS: Required<DatabaseOptions> = {
  max: 20,
  acquireTimeoutMs: 10_000,
  statementTimeoutMs: 60_000,
  idleInTransactionTimeoutMs: 60_000,
};

// Serialization failures and deadlocks are safe to retry: the transaction was rolled back whole.
const RETRIABLE_SQLSTATES = new Set(['40001', '40P01']);
// query_canceled (statement_timeout) and the idle-in-transaction timeout: the server is too busy
// for this request right now, which is MLflow's TEMPORARILY_UNAVAILABLE (503, retried by clients).
const BUSY_SQLSTATES = new Set(['57014', '25P03']);

/**
 * Dedicated sessions a process may hold: one outbox relay per context it writes, the tracking
 * reaper's and GC's leader locks, the webhook dispatcher's LISTEN (six in the all-in-one server),
 * with room to spare. Counted in the connection budget (docs/operations.md).
 */
export const MAX_SESSIONS = 8;

// Postgres shutting down, restarting or not accepting connections yet (admin_shutdown,
// crash_shutdown, cannot_connect_now) and the connection exceptions class: the database is away.
const UNREACHABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);
// Node's words for a server that is not there or went away mid-conversation.
const UNREACHABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** How long a client told that the database is busy should wait before retrying. */
export const BUSY_RETRY_AFTER_S = 1;

/** Raised instead of waiting without bound: no pooled connection came free in time, or a statement ran too long. */
export class DatabaseBusyError extends CairnError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TEMPORARILY_UNAVAILABLE', message);
    this.name = 'DatabaseBusyError';
    this.cause = options?.cause;
  }
}

/**
 * The connection failed after COMMIT was sent (Postgres restarting, the network cut): the
 * transaction may have committed or not, and nobody here can tell. Still a 503 the client retries;
 * but the caller must not undo what the transaction would have published (an upload's blob, which
 * a committed row may name) — leave it to a collector that checks references first.
 */
export class CommitOutcomeUnknownError extends DatabaseBusyError {
  constructor(options: { cause: unknown }) {
    super('The database connection failed while committing; the write may or may not have taken effect. Retry shortly.', options);
    this.name = 'CommitOutcomeUnknownError';
  }
}

/** Whether the transaction that failed with `error` may have committed (see CommitOutcomeUnknownError). */
export const mayHaveCommitted = (error: unknown): boolean => error instanceof CommitOutcomeUnknownError;

/**
 * Whether Postgres itself answered the COMMIT's round trip with an error that aborted the
 * transaction: a SQL error (a constraint, a serialization failure), possibly mapped to the API's
 * (`mapError`). Connection exceptions (08), operator intervention and shutdowns (57), system errors
 * (58, XX) and client-side errors (the socket closed) leave the outcome unknown.
 */
function abortedByServer(error: unknown): boolean {
  if (error instanceof CairnError) return !(error instanceof DatabaseBusyError);
  return error instanceof DatabaseError && typeof error.code === 'string' && !/^(08|57|58|XX)/.test(error.code);
}

/** `error` as the 503 a client should see when Postgres is busy or away, else `error` itself. */
export function asBusyError(error: unknown): unknown {
  if (error instanceof CairnError) return error;
  // pg-pool's wording when connectionTimeoutMillis passes with no connection free.
  if (error instanceof Error && /timeout exceeded when trying to connect/.test(error.message))
    return new DatabaseBusyError('The server is busy: no database connection came free in time. Retry shortly.', { cause: error });
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && BUSY_SQLSTATES.has(code))
    return new DatabaseBusyError('The server is busy: a database statement took too long. Retry shortly.', { cause: error });
  // Postgres away (stopped, restarting, unreachable) fails the request at once with the same 503 a
  // busy database gets: MLflow's clients retry it. A COMMIT cut off this way may or may not have
  // taken effect; what a retry then does is decided per request in docs/reliability.md.
  const unreachable =
    (typeof code === 'string' && (UNREACHABLE_SQLSTATES.has(code) || UNREACHABLE_ERRNOS.has(code))) ||
    (error instanceof Error && /Connection terminated|connection error|not queryable/i.test(error.message)) ||
    prismaSaysUnreachable(error);
  if (unreachable) return new DatabaseBusyError('The database is unreachable right now. Retry shortly.', { cause: error });
  return error;
}

// Prisma's codes for a database it cannot reach, that timed out connecting, or that closed the
// connection; and its pg adapter's kinds for the same (Prisma wraps them, so the SQLSTATE or errno
// is one level down).
const PRISMA_UNREACHABLE_CODES = new Set(['P1001', 'P1002', 'P1017']);
const ADAPTER_UNREACHABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);

/** Whether a Prisma error (the identity and webhook stores use Prisma) says the database is away. */
function prismaSaysUnreachable(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const { code, meta, cause } = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: unknown } }; cause?: unknown };
  if (typeof code === 'string' && PRISMA_UNREACHABLE_CODES.has(code)) return true;
  for (const adapterCause of [meta?.driverAdapterError?.cause, (cause as { cause?: unknown } | undefined)?.cause, cause]) {
    if (adapterCause === null || typeof adapterCause !== 'object') continue;
    const { kind, originalCode } = adapterCause as { kind?: unknown; originalCode?: unknown };
    if (typeof kind === 'string' && ADAPTER_UNREACHABLE_KINDS.has(kind)) return true;
    if (typeof originalCode === 'string' && (UNREACHABLE_SQLSTATES.has(originalCode) || BUSY_SQLSTATES.has(originalCode))) return true;
  }
  return false;
}

/** The unit of work of one transaction on one pooled connection. */
class PgUnitOfWork implements UnitOfWork {
  readonly deferred: DeferredStatement[] = [];
  /** COMMIT has gone to the server (alone or pipelined after the deferred statements). */
  commitSent = false;
  /** The pipelined COMMIT round trip's error as it came, before a statement's `mapError`. */
  commitFailure: unknown;

  constructor(
    readonly client: PoolClient,
    private readonly prepared: PreparedStatements,
  ) {}

  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  query<R extends QueryResultRow = QueryResultRow>(statement: NamedStatement): Promise<{ rows: R[]; rowCount: number | null }>;
  async query<R extends QueryResultRow = QueryResultRow>(textOrStatement: string | NamedStatement, params?: readonly unknown[]) {
    if (typeof textOrStatement === 'string') return this.client.query<R>(textOrStatement, params as unknown[] | undefined);
    const result = await this.client.query<R>(textOrStatement);
    if (!this.prepared.allPrepared(this.client, [textOrStatement])) this.prepared.record(this.client, textOrStatement.name, textOrStatement.text);
    return result;
  }

  atCommit(statement: DeferredStatement): void {
    this.deferred.push(statement);
  }

  /** BEGIN, with `first` in the same round trip when it is prepared here; its rows. */
  async begin(first: NamedStatement | undefined): Promise<QueryResultRow[]> {
    if (first === undefined) {
      await this.client.query('BEGIN');
      return [];
    }
    if (this.prepared.allPrepared(this.client, [first])) {
      const [, rows] = await runPipelined(this.client, [
        { text: 'BEGIN', values: [] },
        { ...first, returnsRows: true },
      ]);
      return rows ?? [];
    }
    await this.client.query('BEGIN');
    return (await this.query(first)).rows;
  }

  /** The queued statements and COMMIT in one round trip; a connection's first use prepares them one by one. */
  async commit(): Promise<void> {
    const batch: DeferredStatement[] = [...this.deferred, { text: 'COMMIT', values: [] }];
    if (this.prepared.allPrepared(this.client, this.deferred)) {
      this.commitSent = true;
      // Each statement's error is kept as it came: whether the COMMIT may have taken effect is told by it.
      const observed = batch.map((statement) => ({
        ...statement,
        mapError: (error: unknown) => {
          this.commitFailure = error;
          return statement.mapError ? statement.mapError(error) : error;
        },
      }));
      await runPipelined(this.client, observed);
      return;
    }
    for (const statement of this.deferred) {
      try {
        if (statement.name === undefined) await this.client.query(statement.text, statement.values);
        else await this.query({ name: statement.name, text: statement.text, values: statement.values });
      } catch (error) {
        throw statement.mapError ? statement.mapError(error) : error;
      }
    }
    this.commitSent = true;
    await this.client.query('COMMIT');
  }
}

/**
 * The project's access to Postgres through `pg`. Prisma serves ordinary read models from `infra/`;
 * hot paths and the event store use this directly with set-based SQL. Reads run on the pool; every
 * write runs in a unit of work (`transaction`) that is passed to the repositories explicitly.
 */
export class Database implements Sql, TransactionRunner {
  /** Requests' connections: reads and units of work (and Prisma's). */
  readonly pool: Pool;
  /**
   * Long-lived dedicated sessions (an outbox relay's advisory lock and LISTEN, the webhook
   * dispatcher's LISTEN) come from a pool of their own: pinned for the process's life, they must not
   * shrink the requests' pool — with a small pool they would leave requests none at all.
   */
  private readonly sessions: Pool;
  readonly options: Required<DatabaseOptions>;
  private readonly prepared = new PreparedStatements();

  constructor(
    readonly url: string,
    options: DatabaseOptions = {},
  ) {
    this.options = { ...DATABASE_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
    const { max, acquireTimeoutMs, statementTimeoutMs, idleInTransactionTimeoutMs } = this.options;
    this.pool = new Pool({
      connectionString: url,
      max,
      idleTimeoutMillis: 30_000,
      // pg-pool applies this to the wait for a free connection as well as to connecting.
      connectionTimeoutMillis: acquireTimeoutMs,
      // Named statements (the write path's: run lock, event append, metric projection) are prepared
      // once per connection; without forcing generic plans Postgres re-plans them on every call while
      // a custom plan looks cheaper — for a one-point write, planning the append cost as much as
      // running it. Unnamed statements are always planned per call, so nothing else changes.
      options: `-c plan_cache_mode=force_generic_plan -c statement_timeout=${statementTimeoutMs} -c idle_in_transaction_session_timeout=${idleInTransactionTimeoutMs}`,
    });
    this.sessions = new Pool({ connectionString: url, max: MAX_SESSIONS, idleTimeoutMillis: 30_000, connectionTimeoutMillis: acquireTimeoutMs });
    // An idle client losing its server connection must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
    this.sessions.on('error', () => undefined);
    // Nor one checked out and between queries (a restart's 57P01 arrives on every connection at
    // once): unheard, that 'error' event crashed the server mid-restart in the fault suite. Its
    // queries fail instead ("not queryable"), and whoever holds it drops it.
    for (const pool of [this.pool, this.sessions]) pool.on('connect', (client) => client.on('error', () => undefined));
  }

  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  query<R extends QueryResultRow = QueryResultRow>(statement: NamedStatement): Promise<{ rows: R[]; rowCount: number | null }>;
  async query<R extends QueryResultRow = QueryResultRow>(textOrStatement: string | NamedStatement, params?: readonly unknown[]) {
    try {
      return typeof textOrStatement === 'string'
        ? await this.pool.query<R>(textOrStatement, params as unknown[] | undefined)
        : await this.pool.query<R>(textOrStatement);
    } catch (error) {
      throw asBusyError(error);
    }
  }

  /**
   * A read planned for its parameters' values (a custom plan), where the pool's sessions force
   * generic plans: a search whose best plan depends on the filter's values and the tables' size.
   * A generic plan of runs/search (value > $n, key = $k) seq-scanned every run of a young
   * experiment: 47 ms at 4,000 REST-seeded runs on Postgres 15, the custom plan 2 ms (issue 24).
   * The setting is transaction-local, sent with the query in one round trip (one implicit
   * transaction up to the Sync), so the connection goes back to the pool unchanged.
   */
  async queryWithCustomPlan<R extends QueryResultRow = QueryResultRow>(text: string, params: readonly unknown[]): Promise<{ rows: R[] }> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw asBusyError(error);
    }
    try {
      const [, rows] = await runPipelined(client, [
        { text: "SELECT set_config('plan_cache_mode', 'force_custom_plan', true)", values: [] },
        { text, values: [...params], returnsRows: true },
      ]);
      return { rows: (rows ?? []) as R[] };
    } catch (error) {
      throw asBusyError(error);
    } finally {
      client.release();
    }
  }

  /**
   * A connection for a dedicated session (LISTEN, a session-level advisory lock), outside the
   * requests' pool. Release it with `release(true)` when the session ends.
   */
  session(): Promise<PoolClient> {
    return this.sessions.connect();
  }

  private async connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw asBusyError(error);
    }
  }

  /**
   * Runs `work` in one unit of work: COMMIT (with the statements it queued) if it resolves,
   * ROLLBACK if it throws; retried a few times on serialization failure or deadlock.
   */
  async transaction<T>(work: (uow: UnitOfWork, begun: QueryResultRow[]) => Promise<T>, { retries = 3, begin }: TransactionOptions = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.connect();
      let broken = false;
      // Postgres ending the session while the work awaits something else (the idle-in-transaction
      // timeout, a restart) is an 'error' event on the checked-out client; unheard, it would crash
      // the process. The work's next statement fails instead, and the connection is dropped.
      const onError = () => (broken = true);
      client.on('error', onError);
      const uow = new PgUnitOfWork(client, this.prepared);
      try {
        const begun = await uow.begin(begin);
        const result = await work(uow, begun);
        await uow.commit();
        return result;
      } catch (error) {
        // A session Postgres ended (idle-in-transaction timeout, say) cannot roll back: drop it from the pool.
        await client.query('ROLLBACK').catch(() => (broken = true));
        const code = (error as { code?: string }).code;
        if (attempt < retries && code !== undefined && RETRIABLE_SQLSTATES.has(code)) continue;
        if (uow.commitSent && !abortedByServer(uow.commitFailure ?? error)) throw new CommitOutcomeUnknownError({ cause: error });
        throw asBusyError(error);
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.sessions.end()]);
  }
}
