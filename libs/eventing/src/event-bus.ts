import type { ContextName, EventEnvelope } from '@cairn/contracts';
import type { RetryPolicy } from './retry';
import type { UnitOfWork } from '@cairn/platform';

/** The publishing half of the bus: all the outbox relay needs. */
export interface EventPublisher {
  /**
   * Publishes `envelopes` to `topic`, resolving once they are durable (Kafka: acknowledged by all
   * in-sync replicas; in-process: applied or dead-lettered by every subscriber). Events with the
   * same aggregate id are delivered in the order given. On rejection some may have been delivered:
   * publish the same batch again (consumers deduplicate).
   */
  publish(topic: string, envelopes: readonly EventEnvelope[]): Promise<void>;
}

export interface DeliveryInfo {
  consumer: string;
  topic: string;
  /** 1 on the first try, 2 on the first retry, … */
  attempt: number;
}

/**
 * Applies one event inside the transaction that also records it in the inbox (and, on Kafka, the
 * consumer offset): the handler's writes, the "seen" mark and the progress commit together.
 * Throw to refuse; a `NonRetriableError` (or an error with `retriable: false`) dead-letters at once.
 */
export type EventHandler = (event: EventEnvelope, uow: UnitOfWork, delivery: DeliveryInfo) => Promise<void>;

/** `skipped`: an event type the subscription does not handle, marked in the inbox without running the handler. */
export type DeliveryOutcome = 'applied' | 'skipped' | 'duplicate' | 'dead_lettered';

export interface Subscription {
  /** Durable name of the consumer: the inbox key and, on Kafka, the consumer group id. */
  consumer: string;
  /** The consuming context: its schema holds this consumer's inbox, offsets and dead letters. */
  context: ContextName;
  topics: readonly string[];
  handler: EventHandler;
  /**
   * The event types the handler applies; any other type on its topics (one a newer release
   * introduced, one this consumer has no use for) is skipped: marked in the inbox, never handed to
   * the handler, never dead-lettered. Absent: every type (test subscriptions). See ADR 0011.
   */
  eventTypes?: ReadonlySet<string>;
  /**
   * Commit every delivery durably, even on a bus whose consumers commit asynchronously (ADR 0016):
   * for a handler whose work has effects outside Postgres right after the commit (the artifacts
   * context deletes blobs), which a crash losing the commit would not undo.
   */
  commitDurably?: boolean;
  /** Retries of retriable handler errors before the event is dead-lettered. */
  retry?: Partial<RetryPolicy>;
  /** Called after each delivery is settled (committed); for metrics and tests. Must not throw. */
  onOutcome?: (outcome: DeliveryOutcome, event: EventEnvelope | null) => void;
}

export interface SubscriptionHandle {
  readonly consumer: string;
  /**
   * Stops consuming after the delivery in flight; resolves when nothing of this subscription runs.
   * The consumer stays known: subscribing again with the same name resumes where it stopped.
   */
  stop(): Promise<void>;
}

/**
 * The event bus port. Services see only this; the composition root picks Kafka (distributed) or
 * the in-process adapter (embedded). Delivery is at least once, in order per aggregate id, and
 * every subscriber is idempotent through its inbox, so projections see each event effectively once.
 */
export interface EventBus extends EventPublisher {
  start(): Promise<void>;
  /** Stops every subscription and releases connections; no timers or sockets are left behind. */
  stop(): Promise<void>;
  /** Readiness: resolves if the transport answers (Kafka: cluster metadata), rejects otherwise. */
  ping(): Promise<void>;
  /** Resolves once the consumer is ready to receive (on Kafka: has joined its group). */
  subscribe(subscription: Subscription): Promise<SubscriptionHandle>;
  /**
   * How far this process's consumers are behind, per (consumer, topic): messages on the topic not
   * yet applied. Only transports that can fall behind have it (Kafka; the in-process bus delivers
   * before `publish` resolves).
   */
  consumerLag?(): Promise<ConsumerLag[]>;
}

export interface ConsumerLag {
  consumer: string;
  topic: string;
  /** Sum over the topic's partitions of (log end offset − the consumer's next offset). */
  messages: number;
}

/** Whether `subscription` applies events of `type` (the upgrade rule of ADR 0011: unknown types are skipped). */
export function handlesEventType(subscription: Pick<Subscription, 'eventTypes'>, type: string): boolean {
  return subscription.eventTypes === undefined || subscription.eventTypes.has(type);
}
