import { CONTEXTS, type ContextName, type EventEnvelope } from '@cairn/contracts';
import type { TransactionRunner } from '@cairn/platform';
import { EventStore, type StoredEvent } from './event-store';

export interface EventExportOptions {
  /** Default: every context, in the fixed order tracking, artifacts, registry, webhooks. */
  contexts?: readonly ContextName[];
  /** Events that occurred at or after `since` and before `until` (either optional). */
  since?: Date;
  until?: Date;
  batchSize?: number;
}

type Handoff = { batch: StoredEvent[] } | { done: true } | { error: unknown };

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * The event logs for audit: each context's log in position order, contexts in a fixed order, read
 * in batches (never the whole log in memory) within one REPEATABLE READ READ ONLY transaction, so
 * an export taken while writers run is a snapshot: every log as of one instant, no event missing
 * below one listed (a writer's that committed late) nor from one log and not another. The
 * transaction holds a pool connection while the reader drains the export; a reader idle for longer
 * than the idle-in-transaction timeout between batches ends it (the export fails, it is not cut short).
 */
export async function* exportEvents(
  database: TransactionRunner,
  options: EventExportOptions = {},
): AsyncGenerator<{ position: number; envelope: EventEnvelope }> {
  const store = new EventStore();
  const batchSize = options.batchSize ?? 1000;
  const contexts = CONTEXTS.filter((c) => options.contexts === undefined || options.contexts.includes(c));
  // The transaction reads a batch and waits for the generator's reader to take it (backpressure).
  let handoff = deferred<Handoff>();
  let taken = deferred<boolean>();
  let stopped = false;
  const reading = database
    .transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      for (const context of contexts) {
        let after = 0;
        for (;;) {
          const batch = await store.readBetween(tx, context, after, batchSize, options.since, options.until);
          if (stopped) return;
          taken = deferred<boolean>();
          handoff.resolve({ batch });
          if (!(await taken.promise)) return;
          if (batch.length < batchSize) break;
          after = batch[batch.length - 1].position;
        }
      }
    })
    .then(
      () => handoff.resolve({ done: true }),
      (error: unknown) => handoff.resolve({ error }),
    );
  try {
    for (;;) {
      const step = await handoff.promise;
      if ('error' in step) throw step.error;
      if ('done' in step) return;
      handoff = deferred<Handoff>();
      const ack = taken;
      for (const event of step.batch) yield event;
      ack.resolve(true);
    }
  } finally {
    // The reader stopped (or the export ended): let the transaction end, and its connection go back.
    stopped = true;
    taken.resolve(false);
    await reading;
  }
}
