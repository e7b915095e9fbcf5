import { CONTEXTS, type ContextName, type EventEnvelope } from '@cairn/contracts';
import type { Sql } from '@cairn/platform';
import { EventStore } from './event-store';

export interface EventExportOptions {
  /** Default: every context, in the fixed order tracking, artifacts, registry, webhooks. */
  contexts?: readonly ContextName[];
  /** Events that occurred at or after `since` and before `until` (either optional). */
  since?: Date;
  until?: Date;
  batchSize?: number;
}

/**
 * The event logs for audit: each context's log in position order, contexts in a fixed order, read
 * in batches (never the whole log in memory). The order is stable: two exports of the same range
 * list the same events in the same order, once the writers that drew their positions have committed.
 */
export async function* exportEvents(sql: Sql, options: EventExportOptions = {}): AsyncGenerator<{ position: number; envelope: EventEnvelope }> {
  const store = new EventStore();
  const batchSize = options.batchSize ?? 1000;
  const contexts = CONTEXTS.filter((c) => options.contexts === undefined || options.contexts.includes(c));
  for (const context of contexts) {
    let after = 0;
    for (;;) {
      const batch = await store.readBetween(sql, context, after, batchSize, options.since, options.until);
      for (const event of batch) yield event;
      if (batch.length < batchSize) break;
      after = batch[batch.length - 1].position;
    }
  }
}
