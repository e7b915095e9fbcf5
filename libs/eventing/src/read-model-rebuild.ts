import { topicOf, type ContextName, type EventEnvelope } from '@cairn/contracts';
import { handlesEventType, type Subscription } from './event-bus';
import { EventStore } from './event-store';
import type { Sql, UnitOfWork } from '@cairn/platform';

/** One event log replayed into a read model, through the projection production runs on it. */
export interface LogReplay {
  /** Whose `events` table is read: the context's own, or the producer's for a consumer's projection. */
  log: ContextName;
  apply(envelope: EventEnvelope): Promise<void>;
}

export interface ReadModelRebuild {
  /** Schema-qualified read-model tables emptied first (all in one TRUNCATE, so foreign keys between them hold). */
  tables: readonly string[];
  /** Applied in this order, each log in global_position order. */
  replays: readonly LogReplay[];
  /**
   * Tables the projection also writes that are not part of the view (a queue of work, say): an
   * online rebuild gives the projection a throwaway copy of them, so a replay queues nothing live.
   */
  scratch?: readonly string[];
  /**
   * Statements run on the live tables around emptying them: `save` before (into a temporary
   * table), `restore` after the rebuilt rows are in — for columns no event carries.
   */
  keep?: { save: readonly string[]; restore: readonly string[] };
}

const TABLE = /^[a-z_]+\.[a-z_]+$/;
const BATCH = 500;

/**
 * Every event of `log` in global_position order, handed to `apply` one at a time (read in batches,
 * so a long log is never held in memory whole). Returns how many were applied.
 */
export async function replayLog(sql: Sql, log: ContextName, apply: (envelope: EventEnvelope) => Promise<void>): Promise<number> {
  const store = new EventStore();
  let after = 0;
  let applied = 0;
  for (;;) {
    const batch = await store.readAll(sql, log, after, BATCH);
    for (const { position, envelope } of batch) {
      await apply(envelope);
      after = position;
      applied++;
    }
    if (batch.length < BATCH) return applied;
  }
}

/**
 * Empties a read model and replays the logs it is a function of. Run it in one transaction (`sql`
 * inside it), on a quiesced system: the empty tables are never seen, and a writer committing
 * meanwhile can draw a position lower than one already replayed (see EventStore.readAll). Returns
 * the events applied per log.
 */
export async function rebuildReadModel(sql: Sql, rebuild: ReadModelRebuild): Promise<Partial<Record<ContextName, number>>> {
  for (const table of rebuild.tables) if (!TABLE.test(table)) throw new Error(`not a schema-qualified table name: ${JSON.stringify(table)}`);
  for (const statement of rebuild.keep?.save ?? []) await sql.query(statement);
  if (rebuild.tables.length > 0) await sql.query(`TRUNCATE ${rebuild.tables.join(', ')}`);
  const applied: Partial<Record<ContextName, number>> = {};
  for (const replay of rebuild.replays)
    applied[replay.log] = (applied[replay.log] ?? 0) + (await replayLog(sql, replay.log, (envelope) => replay.apply(envelope)));
  for (const statement of rebuild.keep?.restore ?? []) await sql.query(statement);
  return applied;
}

/**
 * A consumer's projection rebuilt from its producer's log: the subscription's own handler, each
 * event delivered once in `tx` (no inbox mark: the inbox already holds what the bus delivered). Only
 * for handlers that write their own tables and nothing else: one that appends events or decides
 * something from other state would do it again.
 */
export function consumerReplay(subscription: Pick<Subscription, 'consumer' | 'handler' | 'eventTypes'>, log: ContextName, tx: UnitOfWork): LogReplay {
  const delivery = { consumer: subscription.consumer, topic: topicOf(log), attempt: 1 };
  return { log, apply: async (envelope) => (handlesEventType(subscription, envelope.type) ? subscription.handler(envelope, tx, delivery) : undefined) };
}
