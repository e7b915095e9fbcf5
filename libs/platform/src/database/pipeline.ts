import pg, { type PoolClient, type QueryResultRow } from 'pg';
import type { DeferredStatement } from './unit-of-work';

/**
 * Pipelining for `pg` (ADR 0007): several statements sent as one batch of extended-protocol
 * messages ending in a single Sync — one socket write and one round trip for all of them. `pg`
 * sends each query as its own batch and waits for its answer; it has no pipeline of its own.
 *
 * The adapter uses only what `pg` exports: the Submittable interface `client.query` accepts (the
 * extension point pg-cursor and pg-query-stream are built on), `pg.Result` to turn DataRow
 * messages into rows with the client's type parsers, and `pg.utils.prepareValue` to serialise
 * values exactly as `pg` does.
 */

/** A statement in a pipeline; `returnsRows` asks for its rows (otherwise they are discarded). */
export interface PipelinedStatement extends DeferredStatement {
  returnsRows?: boolean;
}

interface RowParser {
  addFields(fields: unknown[]): void;
  parseRow(fields: unknown[]): QueryResultRow;
}

// Runtime exports of `pg` (index.js) that @types/pg does not declare.
const { Result, utils } = pg as unknown as { Result: new () => RowParser; utils: { prepareValue: (value: unknown) => unknown } };

/** The messages a Submittable may write (pg's Connection, as pg-cursor uses it). */
interface WireConnection {
  stream: { cork?: () => void; uncork?: () => void };
  parse(query: { name: string; text: string; types: unknown[] }): void;
  bind(config: { portal: string; statement: string; values: readonly unknown[]; valueMapper: (value: unknown) => unknown }): void;
  describe(config: { type: 'P'; name: string }): void;
  execute(config: { portal: string; rows: number }): void;
  sync(): void;
}

const ignore = (): void => undefined;

/**
 * Which named statements each pooled connection has prepared. The pipeline binds only prepared
 * statements: a Parse inside it would need its ParseComplete matched to a name, which `pg`
 * reports to no Submittable. The unit of work records a name here when a named statement it ran
 * the ordinary way succeeded (pg prepares on first use and keeps it for the connection's life).
 */
export class PreparedStatements {
  private readonly byConnection = new WeakMap<PoolClient, Map<string, string>>();

  record(client: PoolClient, name: string, text: string): void {
    let names = this.byConnection.get(client);
    if (names === undefined) this.byConnection.set(client, (names = new Map()));
    names.set(name, text);
  }

  /** True when every named statement is prepared on `client` with the same text. */
  allPrepared(client: PoolClient, statements: readonly DeferredStatement[]): boolean {
    const names = this.byConnection.get(client);
    return statements.every((s) => s.name === undefined || names?.get(s.name) === s.text);
  }
}

/**
 * Sends `statements` in one batch and resolves with each statement's rows (empty unless it asked
 * for them). Named statements must be prepared on the connection (`PreparedStatements`); unnamed
 * ones are parsed in the batch. Postgres runs them in order and, at the first error, skips the
 * rest up to the Sync: inside a transaction that leaves it aborted, and the caller rolls back. The
 * error is the failing statement's, through its `mapError`.
 */
export function runPipelined(client: PoolClient, statements: readonly PipelinedStatement[]): Promise<QueryResultRow[][]> {
  return new Promise<QueryResultRow[][]>((resolve, reject) => {
    const results: QueryResultRow[][] = statements.map(() => []);
    let completed = 0;
    let parser: RowParser | undefined;
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      if (error === undefined) resolve(results);
      else reject(error);
    };
    const submittable = {
      submit(connection: WireConnection) {
        connection.stream.cork?.();
        try {
          for (const statement of statements) {
            if (statement.name === undefined) connection.parse({ name: '', text: statement.text, types: [] });
            connection.bind({ portal: '', statement: statement.name ?? '', values: statement.values, valueMapper: utils.prepareValue });
            // Without a Describe no RowDescription comes, and DataRows cannot be parsed.
            if (statement.returnsRows === true) connection.describe({ type: 'P', name: '' });
            connection.execute({ portal: '', rows: 0 });
          }
          connection.sync();
        } finally {
          connection.stream.uncork?.();
        }
        return null;
      },
      handleRowDescription(message: { fields: unknown[] }) {
        parser = new Result();
        parser.addFields(message.fields);
      },
      handleDataRow(message: { fields: unknown[] }) {
        if (parser !== undefined) results[completed]?.push(parser.parseRow(message.fields));
      },
      handleCommandComplete() {
        completed++;
        parser = undefined;
      },
      handleEmptyQuery: ignore,
      handlePortalSuspended: ignore,
      handleCopyInResponse: ignore,
      handleCopyData: ignore,
      handleError(error: unknown) {
        const failed = statements[completed];
        settle(failed?.mapError ? failed.mapError(error) : error);
      },
      handleReadyForQuery() {
        // Every statement answered; an error would have settled first.
        settle(completed === statements.length ? undefined : new Error(`pipeline ended after ${completed} of ${statements.length} statements`));
      },
    };
    (client as unknown as { query: (submittable: unknown) => unknown }).query(submittable);
  });
}
