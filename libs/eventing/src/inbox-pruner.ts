import type { ContextName } from '@cairn/contracts';
import { errorFields, silentLogger, type Logger } from './logger';
import type { Sql } from '@cairn/platform';
import { perContext, type EventingDatabase } from './sql';

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
  /** The consuming contexts whose inboxes this process prunes. */
  contexts: readonly ContextName[];
  retentionHours: number;
  /** Pause between passes. 10 minutes by default. */
  intervalMs?: number;
  logger?: Logger;
}

/**
 * `pruneInbox` for each context every `intervalMs`. No leader: replicas pruning the same inbox at
 * once only delete the same old rows (the second finds them gone), so this holds no connection
 * between passes — unlike a `SingleReplicaLoop`, whose lock pins one for good.
 */
export class InboxPruner {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly options: InboxPrunerOptions) {}

  /** The first pass comes one interval after start: nothing is added to a process's start-up. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.options.intervalMs ?? 600_000);
  }

  /** Lets a pass under way finish; no pass starts after. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.pass;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.pass = this.pruneAll().finally(() => {
        this.pass = undefined;
        if (!this.stopped) this.schedule(this.options.intervalMs ?? 600_000);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async pruneAll(): Promise<void> {
    const { database, contexts, retentionHours, logger = silentLogger } = this.options;
    for (const context of contexts) {
      if (this.stopped) return;
      try {
        const pruned = await pruneInbox(database, context, retentionHours);
        if (pruned > 0) logger.info({ context, pruned, retentionHours }, 'inbox pruned');
      } catch (error) {
        // Logged and tried again next pass.
        logger.error({ context, ...errorFields(error) }, 'inbox pruning failed');
      }
    }
  }
}
