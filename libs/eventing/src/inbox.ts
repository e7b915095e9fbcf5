import type { ContextName, EventEnvelope } from '@cairn/contracts';
import { commitConsumerPosition, type ConsumerPosition } from './consumer-offsets';
import { parseEnvelope } from './envelope-codec';
import { DeliveryAbortedError, isRetriable } from './errors';
import { handlesEventType, type DeliveryOutcome, type EventHandler, type Subscription } from './event-bus';
import { errorFields, silentLogger, type Logger } from './logger';
import { backoffDelay, retryPolicy, sleep, type RetryPolicy } from './retry';
import type { Sql } from '@cairn/platform';
import { perContext, type EventingDatabase } from './sql';

/** One message as a transport hands it over. */
export interface InboundMessage {
  topic: string;
  /** The serialized envelope (JSON); parsed and validated here, never trusted. */
  value: string | Buffer | null;
  /** Kafka: the position after this message, committed to `consumer_offsets` with the apply. */
  commitPosition?: ConsumerPosition;
}

export interface DeliverOptions {
  /** Aborting stops waiting between retries; the event is then left for redelivery. */
  signal?: AbortSignal;
  /** Called before each retry (Kafka: heartbeat, so a slow retry does not cost the partition). */
  beforeRetry?: () => Promise<void>;
}

const RECORD_IN_INBOX = perContext(
  (s) => `INSERT INTO ${s}.inbox (consumer, event_id, event_type, outcome) VALUES ($1, $2, $3, $4) ON CONFLICT (consumer, event_id) DO NOTHING`,
);

const INSERT_DEAD_LETTER = perContext(
  (s) => `INSERT INTO ${s}.dead_letters
  (consumer, event_id, event_type, envelope, raw_message, reason, attempts, source_topic, source_partition, source_offset)
VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10)`,
);

/**
 * How a consumer's transactions commit. `asynchronous` queues `SET LOCAL synchronous_commit TO off`
 * with the COMMIT: Postgres acknowledges before the commit record is flushed, and a crash may lose
 * the last fraction of a second of applied events, inbox rows and projection together (ADR 0016).
 * Only for a bus that is sure to deliver such events again: the in-process one, whose relay deletes
 * the outbox rows after the consumers' commits, in the same Postgres and so later in its WAL.
 */
export type ConsumerCommit = 'durable' | 'asynchronous';

// Sent with the COMMIT (unnamed, so it needs no preparing); read by Postgres when it commits.
const COMMIT_ASYNCHRONOUSLY = { text: 'SET LOCAL synchronous_commit TO off', values: [] };

interface DeadLetter {
  eventId: string | null;
  type: string | null;
  json: unknown;
  raw: string | null;
  reason: string;
  attempts: number;
}

/**
 * Idempotent, transactional consumption, shared by every bus adapter. For each message:
 *   parse the envelope (unparseable → dead letter);
 *   in one transaction: insert (consumer, event_id) into the inbox — if it is already there this
 *   is a redelivery and nothing else happens — then, if the subscription handles the event's type,
 *   run the handler with the same transaction (other types are skipped, see ADR 0011),
 *   then record the Kafka position; commit;
 *   on a handler error: retry with backoff if retriable and attempts remain, otherwise record the
 *   event in dead_letters (and in the inbox, so a redelivery does not dead-letter it twice).
 * Because the inbox row, the projection's writes and the offset commit or roll back together, an
 * event is applied at most once however often it is delivered, and at least once as long as the
 * transport redelivers what was not committed: effectively once.
 * Throws only when even the dead letter cannot be written (database down) or on abort: the
 * transport must then redeliver.
 */
export class IdempotentConsumer {
  readonly consumer: string;
  readonly context: ContextName;
  private readonly handler: EventHandler;
  private readonly policy: RetryPolicy;

  constructor(
    private readonly database: EventingDatabase,
    private readonly subscription: Subscription,
    private readonly logger: Logger = silentLogger,
    private readonly random: () => number = Math.random,
    private readonly commit: ConsumerCommit = 'durable',
  ) {
    this.consumer = subscription.consumer;
    this.context = subscription.context;
    this.handler = subscription.handler;
    this.policy = retryPolicy(subscription.retry);
  }

  async deliver(message: InboundMessage, options: DeliverOptions = {}): Promise<DeliveryOutcome> {
    const parsed = parseEnvelope(message.value);
    if (!parsed.ok) {
      const outcome = await this.database.transaction((tx) => this.deadLetter(tx, message, { ...parsed, attempts: 1 }));
      this.report(outcome, null);
      return outcome;
    }
    const event = parsed.envelope;
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await this.database.transaction(async (uow): Promise<DeliveryOutcome> => {
          if (this.commit === 'asynchronous') uow.atCommit(COMMIT_ASYNCHRONOUSLY);
          // Named: every delivery of every consumer runs it; parsed and planned once per connection.
          const fresh = await uow.query({
            name: `eventing.inbox.record.${this.context}`,
            text: RECORD_IN_INBOX(this.context),
            values: [this.consumer, event.eventId, event.type, 'applied'],
          });
          if (fresh.rowCount === 0) {
            await this.commitPosition(uow, message);
            return 'duplicate';
          }
          // A type this consumer does not handle (a newer release's, or one of no use to it) is
          // marked seen and skipped: the inbox row says 'applied' because nothing was left to apply.
          const handles = handlesEventType(this.subscription, event.type);
          if (handles) await this.handler(event, uow, { consumer: this.consumer, topic: message.topic, attempt });
          await this.commitPosition(uow, message);
          return handles ? 'applied' : 'skipped';
        });
        this.report(outcome, event);
        return outcome;
      } catch (error) {
        // A handler failing because we are shutting down is no verdict on the event.
        if (options.signal?.aborted) throw new DeliveryAbortedError(this.consumer);
        const fields = { consumer: this.consumer, eventId: event.eventId, type: event.type, attempt, ...errorFields(error) };
        if (!isRetriable(error) || attempt >= this.policy.maxAttempts) {
          const reason = describe(error);
          const deadLetter: DeadLetter = { eventId: event.eventId, type: event.type, json: event, raw: null, reason, attempts: attempt };
          const outcome = await this.database.transaction((tx) => this.deadLetter(tx, message, deadLetter));
          this.report(outcome, event);
          return outcome;
        }
        this.logger.warn(fields, 'event handler failed; retrying');
        try {
          await sleep(backoffDelay(attempt, this.policy, this.random), options.signal);
        } catch {
          throw new DeliveryAbortedError(this.consumer);
        }
        await options.beforeRetry?.();
      }
    }
  }

  private async deadLetter(tx: Sql, message: InboundMessage, letter: DeadLetter): Promise<DeliveryOutcome> {
    if (letter.eventId !== null) {
      const fresh = await tx.query(RECORD_IN_INBOX(this.context), [this.consumer, letter.eventId, letter.type, 'dead_lettered']);
      if (fresh.rowCount === 0) {
        // Another delivery of the same event got there first (applied or dead-lettered it).
        await this.commitPosition(tx, message);
        return 'duplicate';
      }
    }
    const position = message.commitPosition;
    await tx.query(INSERT_DEAD_LETTER(this.context), [
      this.consumer,
      letter.eventId,
      letter.type,
      letter.json === undefined ? null : JSON.stringify(letter.json),
      letter.raw,
      letter.reason,
      letter.attempts,
      message.topic,
      position?.partition ?? null,
      position === undefined ? null : (position.nextOffset - 1n).toString(),
    ]);
    await this.commitPosition(tx, message);
    this.logger.error(
      { consumer: this.consumer, eventId: letter.eventId, type: letter.type, reason: letter.reason, attempts: letter.attempts },
      'event dead-lettered',
    );
    return 'dead_lettered';
  }

  private async commitPosition(tx: Sql, message: InboundMessage): Promise<void> {
    if (message.commitPosition !== undefined) await commitConsumerPosition(tx, this.context, this.consumer, message.commitPosition);
  }

  private report(outcome: DeliveryOutcome, event: EventEnvelope | null): void {
    try {
      this.subscription.onOutcome?.(outcome, event);
    } catch (error) {
      this.logger.warn({ consumer: this.consumer, ...errorFields(error) }, 'onOutcome callback threw');
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
