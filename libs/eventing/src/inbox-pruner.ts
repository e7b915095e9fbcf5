import type { ContextName } from '@cairn/contracts';
import { fnv1a32 } from './hash';
import { errorFields, silentLogger, type Logger } from './logger';
import { SingleReplicaLoop } from './single-replica-loop';
import { perContext, type EventingDatabase, type Sql } from './sql';

// A batch at a time (by ctid, so the inner SELECT walks processed_at's index and the DELETE is a
// TID scan): a pass over a large backlog never holds one long transaction or millions of row locks.
const PRUNE_BATCH = perContext(
  (s) => `DELETE FROM ${s}.inbox
WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${s}.inbox WHERE processed_at < now() - make_interval(hours => $1::int) LIMIT $2::int))`,
);

/**
 * Forgets inbox rows older than `retentionHours`, in batches; returns how many went. The inbox only
 * has to outlive redeliveries — an event the relay published again after a crash, a partition
 * re-read after a rebalance — which come within seconds or minutes; without this it grew by a row
 * per consumed event forever.
 */
export async function pruneInbox(sql: Sql, context: ContextName, retentionHours: number, batchSize = 10_000): Promise<number> {
  let pruned = 0;
  for (;;) {
    const { rowCount } = await sql.query(PRUNE_BATCH(context), [retentionHours, batchSize]);
    pruned += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) return pruned;
  }
}

export interface InboxPrunerOptions {
  database: EventingDatabase;
  context: ContextName;
  retentionHours: number;
  /** Pause between passes; also how often a standby replica tries to lead. 10 minutes by default. */
  intervalMs?: number;
  logger?: Logger;
}

// Advisory lock keys: a namespace of their own, one key per context (as the relays').
const PRUNER_LOCK_NAMESPACE = 0x0ca1_1b0c;

/** `pruneInbox` for one context every `intervalMs`, on one replica only. */
export class InboxPruner {
  private readonly loop: SingleReplicaLoop;

  constructor(options: InboxPrunerOptions) {
    const { database, context, retentionHours, intervalMs = 600_000, logger = silentLogger } = options;
    const failed = (error: unknown) => logger.error({ context, ...errorFields(error) }, 'inbox pruning failed');
    this.loop = new SingleReplicaLoop({
      database,
      name: 'inbox pruner',
      lock: { namespace: PRUNER_LOCK_NAMESPACE, key: fnv1a32(`inbox-pruner:${context}`) | 0 },
      standbyIntervalMs: intervalMs,
      // The rounds use pooled connections, not the lock's: check it still holds before each.
      confirmBeforeRound: true,
      round: async () => {
        // A failed pass is logged and retried next time; the leader keeps the lock.
        const pruned = await pruneInbox(database, context, retentionHours).catch((error: unknown) => {
          failed(error);
          return 0;
        });
        if (pruned > 0) logger.info({ context, pruned, retentionHours }, 'inbox pruned');
        return intervalMs;
      },
      onError: failed,
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
