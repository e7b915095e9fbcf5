import { CONTEXTS, type ContextName } from '@cairn/contracts';
import type { Pool, PoolClient, QueryResultRow } from 'pg';

/**
 * What the eventing library needs from Postgres, as structural types over `pg`, so it depends on
 * neither Prisma nor the platform lib: `Database` from @cairn/platform satisfies `EventingDatabase`.
 */
export interface Sql {
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

/** A client inside a transaction the caller opened (BEGIN … COMMIT are the caller's business). */
export type TransactionClient = PoolClient;

export interface EventingDatabase extends Sql {
  /** For dedicated sessions: the relay's LISTEN and its session-level advisory lock. */
  readonly pool: Pool;
  /** Runs `work` in one transaction: COMMIT if it resolves, ROLLBACK if it throws. */
  transaction<T>(work: (tx: TransactionClient) => Promise<T>): Promise<T>;
}

/**
 * The quoted Postgres schema of a context. Schema names end up inside SQL text, so they come only
 * from the closed list of contexts, checked at run time as well as by the type.
 */
export function schemaOf(context: ContextName): string {
  if (!(CONTEXTS as readonly string[]).includes(context)) throw new Error(`unknown context ${JSON.stringify(context)}`);
  return `"${context}"`;
}

/** One SQL text per context, built once. */
export function perContext(build: (schema: string, context: ContextName) => string): (context: ContextName) => string {
  const texts = new Map<ContextName, string>(CONTEXTS.map((context) => [context, build(schemaOf(context), context)]));
  return (context) => {
    const text = texts.get(context);
    if (text === undefined) throw new Error(`unknown context ${JSON.stringify(context)}`);
    return text;
  };
}

/** The NOTIFY channel the outbox trigger signals on commit (see the 0001 migration). */
export const outboxChannel = (context: ContextName): string => `cairn_outbox_${context}`;

const UNIQUE_VIOLATION = '23505';

/** Postgres refused a row as a duplicate (unique_violation), on `constraint` when it is named: the one such check, for every context. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown } | null;
  return e !== null && typeof e === 'object' && e.code === UNIQUE_VIOLATION && (constraint === undefined || e.constraint === constraint);
}
