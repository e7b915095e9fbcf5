import type { ContextName, EventEnvelope } from '@cairn/contracts';
import { parseEnvelope } from './envelope-codec';
import { handlesEventType, type Subscription } from './event-bus';
import { errorFields, silentLogger, type Logger } from './logger';
import { perContext, type EventingDatabase } from './sql';

/** A dead letter as an operator sees it (`envelope` is the message as received, when it was JSON). */
export interface DeadLetter {
  id: string;
  consumer: string;
  eventId: string | null;
  eventType: string | null;
  envelope: unknown;
  rawMessage: string | null;
  reason: string;
  attempts: number;
  sourceTopic: string | null;
  sourcePartition: number | null;
  sourceOffset: string | null;
  deadLetteredAt: string;
  lastReplayedAt: string | null;
  discardedAt: string | null;
  discardedBy: string | null;
  discardReason: string | null;
}

export interface DeadLetterPage {
  deadLetters: DeadLetter[];
  /** The id to pass as `after` for the next page; absent on the last page. */
  nextAfter?: string;
}

export type ReplayResult = { id: string; consumer: string; outcome: 'applied' } | { id: string; consumer: string; outcome: 'failed'; reason: string };

/** Replaying needs the consumer's handler: a dead letter of a consumer this process does not run cannot be replayed here. */
export class ConsumerNotHereError extends Error {
  constructor(readonly consumer: string) {
    super(`consumer ${consumer} does not run in this process; replay it where it runs`);
    this.name = 'ConsumerNotHereError';
  }
}

export class DeadLetterNotFoundError extends Error {
  constructor(
    readonly context: ContextName,
    readonly id: string,
  ) {
    super(`no dead letter ${id} in ${context} (or it was already replayed or discarded)`);
    this.name = 'DeadLetterNotFoundError';
  }
}

const COLUMNS = `id::text, consumer, event_id::text, event_type, envelope, raw_message, reason, attempts, source_topic, source_partition,
  source_offset::text, dead_lettered_at, last_replayed_at, discarded_at, discarded_by, discard_reason`;

// Pages by id (ascending: oldest first); discarded letters only when asked for.
const LIST = perContext(
  (s) => `SELECT ${COLUMNS} FROM ${s}.dead_letters
WHERE id > $1 AND ($2::text IS NULL OR consumer = $2) AND ($3 OR discarded_at IS NULL)
ORDER BY id LIMIT $4`,
);
const GET = perContext((s) => `SELECT ${COLUMNS} FROM ${s}.dead_letters WHERE id = $1`);
// The row lock serialises two replays of one letter: the second finds it gone.
const LOCK_PENDING = perContext((s) => `SELECT ${COLUMNS} FROM ${s}.dead_letters WHERE id = $1 AND discarded_at IS NULL FOR UPDATE`);
const PENDING_IDS = perContext(
  (s) => `SELECT id::text FROM ${s}.dead_letters WHERE discarded_at IS NULL AND ($1::text IS NULL OR consumer = $1) AND id > $2 ORDER BY id LIMIT $3`,
);
const DELETE = perContext((s) => `DELETE FROM ${s}.dead_letters WHERE id = $1`);
// The inbox row said 'dead_lettered' (or was pruned): it now says the event was applied.
const MARK_APPLIED = perContext(
  (s) => `INSERT INTO ${s}.inbox (consumer, event_id, event_type, outcome) VALUES ($1, $2, $3, 'applied')
ON CONFLICT (consumer, event_id) DO UPDATE SET outcome = 'applied', processed_at = now()`,
);
const RECORD_FAILED_REPLAY = perContext((s) => `UPDATE ${s}.dead_letters SET reason = $2, attempts = attempts + 1, last_replayed_at = now() WHERE id = $1`);
const DISCARD = perContext(
  (s) => `UPDATE ${s}.dead_letters SET discarded_at = now(), discarded_by = $2, discard_reason = $3
WHERE id = $1 AND discarded_at IS NULL RETURNING ${COLUMNS}`,
);
const PENDING_COUNTS = perContext((s) => `SELECT consumer, count(*)::int AS n FROM ${s}.dead_letters WHERE discarded_at IS NULL GROUP BY consumer`);

interface Row {
  id: string;
  consumer: string;
  event_id: string | null;
  event_type: string | null;
  envelope: unknown;
  raw_message: string | null;
  reason: string;
  attempts: number;
  source_topic: string | null;
  source_partition: number | null;
  source_offset: string | null;
  dead_lettered_at: Date;
  last_replayed_at: Date | null;
  discarded_at: Date | null;
  discarded_by: string | null;
  discard_reason: string | null;
}

const toDeadLetter = (r: Row): DeadLetter => ({
  id: r.id,
  consumer: r.consumer,
  eventId: r.event_id,
  eventType: r.event_type,
  envelope: r.envelope,
  rawMessage: r.raw_message,
  reason: r.reason,
  attempts: r.attempts,
  sourceTopic: r.source_topic,
  sourcePartition: r.source_partition,
  sourceOffset: r.source_offset,
  deadLetteredAt: r.dead_lettered_at.toISOString(),
  lastReplayedAt: r.last_replayed_at?.toISOString() ?? null,
  discardedAt: r.discarded_at?.toISOString() ?? null,
  discardedBy: r.discarded_by,
  discardReason: r.discard_reason,
});

const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/**
 * The operator's side of dead letters: read them, replay them through the consumer's own handler
 * once the cause is fixed, or discard them with a reason that stays on record.
 *
 * A replay is a delivery the inbox would have accepted: in one unit of work the letter is locked,
 * its event handed to the subscription's handler (a type it does not handle is skipped, as the
 * inbox does), the inbox row set to 'applied' and the letter deleted. If the handler throws, all of
 * that rolls back and the letter stays, with the new error as its reason. The handler sees each
 * event at most once per successful replay: the inbox row already blocks live redeliveries.
 */
export class DeadLetters {
  constructor(
    private readonly database: EventingDatabase,
    private readonly consumers: (name: string) => Subscription | undefined,
    private readonly logger: Logger = silentLogger,
  ) {}

  async list(context: ContextName, options: { consumer?: string; after?: string; limit: number; includeDiscarded?: boolean }): Promise<DeadLetterPage> {
    const { rows } = await this.database.query<Row>(LIST(context), [
      options.after ?? '0',
      options.consumer ?? null,
      options.includeDiscarded ?? false,
      options.limit + 1,
    ]);
    const page = rows.slice(0, options.limit).map(toDeadLetter);
    return rows.length > options.limit ? { deadLetters: page, nextAfter: page[page.length - 1]?.id } : { deadLetters: page };
  }

  async get(context: ContextName, id: string): Promise<DeadLetter> {
    const { rows } = await this.database.query<Row>(GET(context), [id]);
    const row = rows[0];
    if (row === undefined) throw new DeadLetterNotFoundError(context, id);
    return toDeadLetter(row);
  }

  async replay(context: ContextName, id: string): Promise<ReplayResult> {
    let applied: { subscription: Subscription; event: EventEnvelope } | undefined;
    let consumer = '';
    try {
      applied = await this.database.transaction(async (uow) => {
        const row = (await uow.query<Row>(LOCK_PENDING(context), [id])).rows[0];
        if (row === undefined) throw new DeadLetterNotFoundError(context, id);
        consumer = row.consumer;
        const subscription = this.consumers(row.consumer);
        if (subscription === undefined) throw new ConsumerNotHereError(row.consumer);
        const parsed = parseEnvelope(row.envelope === null ? row.raw_message : JSON.stringify(row.envelope));
        if (!parsed.ok) throw new Error(`cannot be replayed: ${parsed.reason}; discard it`);
        const event = parsed.envelope;
        if (handlesEventType(subscription, event.type))
          await subscription.handler(event, uow, { consumer: row.consumer, topic: row.source_topic ?? '', attempt: row.attempts + 1 });
        await uow.query(MARK_APPLIED(context), [row.consumer, event.eventId, event.type]);
        await uow.query(DELETE(context), [id]);
        return { subscription, event };
      });
    } catch (error) {
      if (error instanceof DeadLetterNotFoundError || error instanceof ConsumerNotHereError) throw error;
      const reason = describe(error);
      await this.database.query(RECORD_FAILED_REPLAY(context), [id, reason]);
      this.logger.warn({ context, deadLetter: id, ...errorFields(error) }, 'dead letter replay failed; kept');
      return { id, consumer, outcome: 'failed', reason };
    }
    this.logger.info({ context, deadLetter: id, consumer: applied.subscription.consumer, eventId: applied.event.eventId }, 'dead letter replayed');
    try {
      applied.subscription.onOutcome?.('applied', applied.event);
    } catch (error) {
      this.logger.warn({ consumer: applied.subscription.consumer, ...errorFields(error) }, 'onOutcome callback threw');
    }
    return { id, consumer, outcome: 'applied' };
  }

  /**
   * Replays every pending letter of `context` (of one consumer, if given), oldest first, each in
   * its own unit of work. Letters of consumers not running here are skipped and reported.
   */
  async replayAll(context: ContextName, options: { consumer?: string } = {}): Promise<{ results: ReplayResult[]; notHere: string[] }> {
    const results: ReplayResult[] = [];
    const notHere = new Set<string>();
    let after = '0';
    for (;;) {
      const { rows } = await this.database.query<{ id: string }>(PENDING_IDS(context), [options.consumer ?? null, after, 100]);
      for (const { id } of rows) {
        after = id;
        try {
          results.push(await this.replay(context, id));
        } catch (error) {
          if (error instanceof ConsumerNotHereError) notHere.add(error.consumer);
          else if (!(error instanceof DeadLetterNotFoundError)) throw error; // replayed or discarded meanwhile
        }
      }
      if (rows.length < 100) return { results, notHere: [...notHere] };
    }
  }

  /** Marks a letter discarded (kept, with who and why); it is no longer listed or replayed. */
  async discard(context: ContextName, id: string, by: string, reason: string): Promise<DeadLetter> {
    const row = (await this.database.query<Row>(DISCARD(context), [id, by, reason])).rows[0];
    if (row === undefined) throw new DeadLetterNotFoundError(context, id);
    this.logger.warn({ context, deadLetter: id, consumer: row.consumer, eventId: row.event_id, by, reason }, 'dead letter discarded');
    return toDeadLetter(row);
  }

  /** Letters waiting (not discarded) per consumer of `context`: the gauge's reading. */
  async pendingCounts(context: ContextName): Promise<Array<{ consumer: string; count: number }>> {
    const { rows } = await this.database.query<{ consumer: string; n: number }>(PENDING_COUNTS(context));
    return rows.map((r) => ({ consumer: r.consumer, count: r.n }));
  }
}
