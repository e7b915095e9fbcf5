import { topicOf, type ContextName, type EventEnvelope } from '@cairn/contracts';
import type { PoolClient } from 'pg';
import type { EventPublisher } from './event-bus';
import { envelopeOfRow, type EventRow } from './event-store';
import { fnv1a32 } from './hash';
import { errorFields, silentLogger, type Logger } from './logger';
import { backoffDelay, retryPolicy, type RetryPolicy } from './retry';
import { SingleReplicaLoop, type LeaderSession } from './single-replica-loop';
import { outboxChannel, perContext, type EventingDatabase } from './sql';

export interface OutboxRelayOptions {
  database: EventingDatabase;
  /** Whose outbox this relay drains. */
  context: ContextName;
  publisher: EventPublisher;
  /** Defaults to `topicOf(context)`. */
  topic?: string;
  /** Fallback poll period when no NOTIFY arrives (CAIRN_RELAY_INTERVAL_MS). */
  pollIntervalMs?: number;
  /** How often a standby replica tries to take over leadership. */
  standbyIntervalMs?: number;
  /** Outbox rows read and published per round. */
  batchSize?: number;
  /**
   * How long a notification waits before the relay reads, so that the events of commits arriving
   * meanwhile go out in the same round (default 5 ms; 0 reads at once). Under a stream of small
   * writes (one log-metric per request) this turns a read and a delete per commit into a pair per
   * a few dozen commits; it never delays an event by more than this.
   */
  coalesceMs?: number;
  /** Backoff after a failed publish (only delays are used). */
  errorBackoff?: Partial<RetryPolicy>;
  logger?: Logger;
  /** Fault injection for tests: runs after a batch is published and before its rows are deleted. */
  hooks?: { beforeDeletePublished?: (envelopes: readonly EventEnvelope[]) => Promise<void> | void };
}

/*
 * The outbox holds only what is still to be published: a row is deleted once its event is out
 * (the event stays in `events`). Reading the rows in position order, rather than "everything after
 * the last position sent", means a transaction that commits a lower position late is still picked
 * up (in a later batch).
 * Per aggregate, order holds anyway: version n+1 is only decided after version n committed, so it
 * always has the higher position, and no batch can contain n+1 while n is still unsent.
 */
const READ_BACKLOG = perContext(
  (s) => `SELECT e.global_position, e.event_id, e.type, e.aggregate_id, e.aggregate_version, e.occurred_at, e.actor, e.correlation_id, e.causation_id, e.data
FROM ${s}.outbox o JOIN ${s}.events e ON e.global_position = o.global_position
ORDER BY o.global_position
LIMIT $1`,
);

const DELETE_PUBLISHED = perContext((s) => `DELETE FROM ${s}.outbox WHERE global_position = ANY($1::bigint[])`);

// Advisory lock keys: a fixed namespace plus one key per context, stable across releases and hosts.
const RELAY_LOCK_NAMESPACE = 0x0ca1_0e17;

/**
 * Publishes a context's outbox to the bus: its rows in position order, in batches, each batch then
 * deleted. At least once: a relay that dies between publishing and deleting publishes the batch
 * again after restart (or on another replica), and consumers' inboxes discard the duplicates.
 *
 * Leadership: every replica runs a relay, but only the holder of the context's advisory lock
 * publishes (a `SingleReplicaLoop`; the others retry the lock every `standbyIntervalMs`). The lock's
 * connection also LISTENs on the context's channel: a commit that queued events wakes the relay at
 * once, and polling covers lost notifications.
 */
export class OutboxRelay {
  readonly context: ContextName;
  readonly topic: string;
  private readonly publisher: EventPublisher;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly coalesceMs: number;
  private coalescing: NodeJS.Timeout | undefined;
  private readonly backoff: RetryPolicy;
  private readonly logger: Logger;
  private readonly hooks: NonNullable<OutboxRelayOptions['hooks']>;
  private readonly leadership: SingleReplicaLoop;
  /** Failed publishes in a row during the current leadership. */
  private failures = 0;

  constructor(options: OutboxRelayOptions) {
    this.context = options.context;
    this.publisher = options.publisher;
    this.topic = options.topic ?? topicOf(options.context);
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    this.batchSize = options.batchSize ?? 256;
    this.coalesceMs = options.coalesceMs ?? 5;
    this.backoff = retryPolicy({ initialDelayMs: 100, maxDelayMs: 5_000, ...options.errorBackoff, maxAttempts: 1 });
    this.logger = options.logger ?? silentLogger;
    this.hooks = options.hooks ?? {};
    this.leadership = new SingleReplicaLoop({
      database: options.database,
      name: 'outbox relay',
      lock: { namespace: RELAY_LOCK_NAMESPACE, key: lockKeyOf(this.context) },
      standbyIntervalMs: options.standbyIntervalMs ?? 1_000,
      retryDelayMs: (failures) => backoffDelay(failures, this.backoff),
      onElected: (session) => this.elected(session),
      round: (session) => this.round(session),
      onError: (error) => this.logger.error({ context: this.context, ...errorFields(error) }, 'outbox relay failed'),
    });
  }

  /** True while this relay holds the context's leadership lock. */
  get isLeader(): boolean {
    return this.leadership.isLeader;
  }

  /** Starts the relay loop in the background; it becomes leader as soon as the lock is free. */
  async start(): Promise<void> {
    this.leadership.start();
  }

  /** Finishes the batch in flight, releases the lock and the connection. */
  async stop(): Promise<void> {
    clearTimeout(this.coalescing);
    this.coalescing = undefined;
    await this.leadership.stop();
  }

  private wakeSoon(): void {
    if (this.coalesceMs === 0) return this.leadership.wake();
    if (this.coalescing !== undefined) return;
    this.coalescing = setTimeout(() => {
      this.coalescing = undefined;
      this.leadership.wake();
    }, this.coalesceMs);
    this.coalescing.unref();
  }

  private async elected({ client }: LeaderSession): Promise<void> {
    this.failures = 0;
    this.logger.info({ context: this.context, topic: this.topic }, 'outbox relay is leader');
    client.on('notification', () => this.wakeSoon());
    // The deletions of published rows commit without waiting for the WAL flush (ADR 0016): one lost
    // in a crash leaves its rows in the outbox, and they are published again — the at-least-once
    // this relay promises anyway. The events themselves were committed durably by their writers.
    await client.query('SET synchronous_commit TO off');
    await client.query(`LISTEN ${outboxChannel(this.context)}`);
  }

  /** Publishes one batch; resolves to the pause before the next, throws when the connection broke. */
  private async round(session: LeaderSession): Promise<number> {
    let published: number;
    try {
      published = await this.relayBatch(session.client);
      this.failures = 0;
    } catch (error) {
      if (session.connectionLost !== undefined) throw error;
      this.failures++;
      this.logger.warn(
        { context: this.context, topic: this.topic, failures: this.failures, ...errorFields(error) },
        'outbox publish failed; will retry the batch',
      );
      return backoffDelay(this.failures, this.backoff);
    }
    // A full batch means there is probably more: go on without waiting.
    return published < this.batchSize ? this.pollIntervalMs : 0;
  }

  private async relayBatch(client: PoolClient): Promise<number> {
    // Named: a relay runs these once per batch, on the one connection it leads with, so they are
    // parsed and planned once per session rather than per batch (with small batches, per event).
    const { rows } = await client.query<EventRow>({ name: `eventing.relay.read.${this.context}`, text: READ_BACKLOG(this.context), values: [this.batchSize] });
    if (rows.length === 0) return 0;
    const envelopes = rows.map((row) => envelopeOfRow(row, this.context));
    await this.publisher.publish(this.topic, envelopes);
    await this.hooks.beforeDeletePublished?.(envelopes);
    await client.query({
      name: `eventing.relay.delete.${this.context}`,
      text: DELETE_PUBLISHED(this.context),
      values: [rows.map((row) => row.global_position)],
    });
    this.logger.debug({ context: this.context, topic: this.topic, count: rows.length }, 'outbox batch published');
    return rows.length;
  }
}

/** A signed 32-bit advisory-lock key per context (Postgres takes int4). */
function lockKeyOf(context: ContextName): number {
  return fnv1a32(`outbox-relay:${context}`) | 0;
}
