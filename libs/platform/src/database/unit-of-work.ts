import type { QueryResultRow } from 'pg';

/** A statement with a name: each pooled connection parses and plans it once, then only binds values (hot paths). */
export interface NamedStatement {
  name: string;
  text: string;
  values: unknown[];
}

/** Something SQL runs on: the pool (reads) or a unit of work (writes). */
export interface Sql {
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  query<R extends QueryResultRow = QueryResultRow>(statement: NamedStatement): Promise<{ rows: R[]; rowCount: number | null }>;
}

/**
 * A statement queued to run at commit instead of being awaited on its own: it goes to Postgres in
 * the same write as the COMMIT. For writes whose result the command does not use (an event append,
 * a projection), where each round trip costs more CPU on small machines than the statement itself.
 */
export interface DeferredStatement {
  /** A named statement is prepared once per connection. */
  name?: string;
  text: string;
  values: unknown[];
  /** Turns this statement's failure into the error the caller would have thrown (a ConcurrencyError, say). */
  mapError?: (error: unknown) => unknown;
}

/**
 * One transaction, passed explicitly to every write-side repository method that runs in it
 * (ADR 0007). Nothing on the write side reaches for the pool on its own: a command that read through
 * the pool while holding a row lock needed a second connection per request, and a burst of such
 * requests held every connection while waiting for one more — the whole process hung.
 */
export interface UnitOfWork extends Sql {
  /**
   * Queues `statement` to run when the unit of work commits, in one round trip with the COMMIT.
   * Queued statements run after everything the work awaited, in the order queued; the first to
   * fail rolls the whole transaction back, and its error (through `mapError`) is what the
   * transaction throws.
   */
  atCommit(statement: DeferredStatement): void;
}

export interface TransactionOptions {
  /** Retries after a serialization failure or deadlock (the transaction was rolled back whole). */
  retries?: number;
  /**
   * A first statement sent with BEGIN in one round trip (once the statement is prepared on the
   * connection); its rows are the work's second argument. For the hottest commands, whose first
   * step is always the same row lock.
   */
  begin?: NamedStatement;
}

/** Runs work in one unit of work: COMMIT if it resolves, ROLLBACK if it throws. */
export interface TransactionRunner {
  transaction<T>(work: (uow: UnitOfWork, begun: QueryResultRow[]) => Promise<T>, options?: TransactionOptions): Promise<T>;
}
