import { CONTEXTS, type ContextName } from '@cairn/contracts';
import type { PoolClient } from 'pg';
import type { Sql, TransactionRunner } from '@cairn/platform';

/**
 * What the eventing library runs SQL on: the pool for reads and dedicated sessions, a unit of work
 * for every write (`Database` from @cairn/platform implements both).
 */
export interface EventingDatabase extends Sql, TransactionRunner {
  /** A dedicated session (the relay's LISTEN and its session-level advisory lock), outside the requests' pool. */
  session(): Promise<PoolClient>;
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
