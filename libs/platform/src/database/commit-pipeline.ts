import type { PoolClient } from 'pg';

/**
 * A statement a command queues to run at commit (`deferUntilCommit`) instead of awaiting on its
 * own: it goes to Postgres in the same write as the COMMIT. For writes whose result the command
 * does not need (an event append, a projection), where each round trip costs more CPU on these
 * machines than the statement itself.
 */
export interface DeferredStatement {
  /** A named statement is prepared once per connection (see Database's plan_cache_mode). */
  name?: string;
  text: string;
  values: unknown[];
  /** Turns this statement's failure into the error the caller would have thrown (a ConcurrencyError, say). */
  mapError?: (error: unknown) => unknown;
}

// pg's own value serialization (JS arrays to array literals, Dates, Buffers, null), as its Query uses.
const { prepareValue } = require('pg/lib/utils') as { prepareValue: (value: unknown) => unknown };

/** The parts of pg's connection the pipeline writes to (pg 8; used the same way by pg's own Query). */
interface WireConnection {
  stream: { cork?: () => void; uncork?: () => void };
  parsedStatements: Record<string, string>;
  parse(query: { name: string; text: string; types: unknown[] }): void;
  bind(config: { portal: string; statement: string; values: readonly unknown[]; valueMapper: (value: unknown) => unknown }): void;
  execute(config: { portal: string; rows: number }): void;
  sync(): void;
}

const ignore = (): void => undefined;

const connectionOf = (client: PoolClient) => (client as unknown as { connection: WireConnection }).connection;

/**
 * True when every named statement is already prepared on this connection. The pipeline only binds
 * prepared statements (a Parse in the pipeline would need its ParseComplete matched to a name, which
 * pg does not report); a connection's first use runs them one by one instead, which prepares them.
 */
export function canPipeline(client: PoolClient, statements: readonly DeferredStatement[]): boolean {
  const parsed = connectionOf(client).parsedStatements;
  return statements.every((s) => s.name === undefined || parsed[s.name] === s.text);
}

/**
 * Sends `statements` and then COMMIT as one batch of extended-protocol messages with a single Sync:
 * one write and one round trip. Postgres runs them in order and, at the first error, skips the rest
 * up to the Sync — the COMMIT included, so the transaction stays open and aborted and the caller
 * rolls it back. The error is the failing statement's, through its `mapError`.
 */
export function commitPipelined(client: PoolClient, statements: readonly DeferredStatement[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let completed = 0;
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      if (error === undefined) resolve();
      else reject(error);
    };
    const batch = [...statements, { text: 'COMMIT', values: [] }];
    const submittable = {
      submit(connection: WireConnection) {
        connection.stream.cork?.();
        try {
          for (const statement of batch) {
            // Unnamed statements (only COMMIT here) are parsed in the batch; they need no bookkeeping.
            if (statement.name === undefined) connection.parse({ name: '', text: statement.text, types: [] });
            connection.bind({ portal: '', statement: statement.name ?? '', values: statement.values, valueMapper: prepareValue });
            connection.execute({ portal: '', rows: 0 });
          }
          connection.sync();
        } finally {
          connection.stream.uncork?.();
        }
        return null;
      },
      // Without a Describe no RowDescription comes; rows of a RETURNING are not wanted.
      handleRowDescription: ignore,
      handleDataRow: ignore,
      handleCommandComplete() {
        completed++;
      },
      handleEmptyQuery: ignore,
      handlePortalSuspended: ignore,
      handleCopyInResponse: ignore,
      handleCopyData: ignore,
      handleError(error: unknown) {
        const failed = batch[completed] as DeferredStatement | undefined;
        settle(failed?.mapError ? failed.mapError(error) : error);
      },
      handleReadyForQuery() {
        // Every statement and the COMMIT answered; an error would have settled first.
        settle(completed === batch.length ? undefined : new Error(`commit pipeline ended after ${completed} of ${batch.length} statements`));
      },
    };
    (client as unknown as { query: (submittable: unknown) => unknown }).query(submittable);
  });
}
