import type { EventEnvelope } from '@cairn/contracts';
import { encodeEnvelope } from '../envelope-codec';
import { DeliveryAbortedError, SubscriberUnavailableError } from '../errors';
import type { EventBus, Subscription, SubscriptionHandle } from '../event-bus';
import { fnv1a32 } from '../hash';
import { IdempotentConsumer, type ConsumerCommit } from '../inbox';
import { silentLogger, type Logger } from '../logger';
import { SerialQueue } from '../serial-queue';
import type { EventingDatabase } from '../sql';

export interface InProcessEventBusOptions {
  database: EventingDatabase;
  logger?: Logger;
  /**
   * Events of one subscriber are spread over this many sequential lanes by aggregate id, like
   * partitions: order holds per aggregate, different aggregates are applied concurrently.
   */
  lanes?: number;
  /**
   * `asynchronous` (what the all-in-one server runs): the consumers' inbox marks and projections
   * commit without waiting for the WAL flush. Safe only when the relays feeding this bus write the
   * same Postgres as `database`: a crash that loses an applied event also loses the later deletion
   * of its outbox row, so the relay publishes it again (ADR 0016). Default `durable`.
   */
  consumerCommit?: ConsumerCommit;
}

interface Message {
  key: string;
  value: string;
}

/**
 * The embedded-mode bus. It keeps nothing in memory that matters: the relay feeds it from the
 * durable outbox, and `publish` resolves only when every subscriber of the topic has committed
 * (applied or dead-lettered) every event, so the relay marks rows sent only after that. A crash in
 * between means the relay publishes again and the inboxes discard what was already applied.
 *
 * For the same reason a consumer that is registered but stopped makes `publish` fail (after the
 * running subscribers got the batch): the relay keeps the rows and retries until it is back, which
 * is how a restarted consumer resumes where it stopped. Subscribe every consumer before the relays
 * start; a consumer first subscribed later sees only the events published from then on.
 */
export class InProcessEventBus implements EventBus {
  private readonly database: EventingDatabase;
  private readonly logger: Logger;
  private readonly lanes: number;
  private readonly consumerCommit: ConsumerCommit;
  private readonly consumers = new Map<string, { topics: ReadonlySet<string>; running: RunningSubscription | undefined }>();
  /** Publishes to one topic never overlap, so the order of batches is the order of calls. */
  private readonly publishes = new SerialQueue();
  private started = false;

  constructor(options: InProcessEventBusOptions) {
    this.database = options.database;
    this.logger = options.logger ?? silentLogger;
    this.lanes = Math.max(1, options.lanes ?? 4);
    this.consumerCommit = options.consumerCommit ?? 'durable';
  }

  async start(): Promise<void> {
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.consumers.values()].map((entry) => entry.running?.stop()));
    await this.publishes.idle();
    this.consumers.clear();
  }

  async ping(): Promise<void> {
    if (!this.started) throw new Error('in-process event bus is not started');
  }

  async subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    if (subscription.topics.length === 0) throw new Error(`consumer ${subscription.consumer} subscribes to no topic`);
    if (this.consumers.get(subscription.consumer)?.running !== undefined) throw new Error(`consumer ${subscription.consumer} is already running`);
    const commit = subscription.commitDurably === true ? 'durable' : this.consumerCommit;
    const running = new RunningSubscription(new IdempotentConsumer(this.database, subscription, this.logger, Math.random, commit), this.lanes);
    const entry = { topics: new Set(subscription.topics), running: running as RunningSubscription | undefined };
    this.consumers.set(subscription.consumer, entry);
    return {
      consumer: subscription.consumer,
      stop: async () => {
        await running.stop();
        if (entry.running === running) entry.running = undefined;
      },
    };
  }

  publish(topic: string, envelopes: readonly EventEnvelope[]): Promise<void> {
    if (!this.started) return Promise.reject(new Error('in-process event bus is not started'));
    return this.publishes.run(topic, () => this.dispatch(topic, envelopes));
  }

  private async dispatch(topic: string, envelopes: readonly EventEnvelope[]): Promise<void> {
    const subscribers = [...this.consumers.entries()].filter(([, entry]) => entry.topics.has(topic));
    // Nobody to deliver to (the tracking service alone has no consumer of its own topic): skip
    // serializing what no one would parse — a log-batch event carries 1000 points.
    if (envelopes.length === 0 || subscribers.length === 0) return;
    // Every subscriber gets its own serialized copy, parsed and validated on its side like a Kafka message.
    const messages = envelopes.map((envelope) => ({ key: envelope.aggregateId, value: encodeEnvelope(envelope) }));
    const results = await Promise.allSettled(
      subscribers.map(([consumer, entry]) =>
        entry.running === undefined ? Promise.reject(new SubscriberUnavailableError(topic, consumer)) : entry.running.deliver(topic, messages),
      ),
    );
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure !== undefined) {
      this.logger.debug({ topic, reason: String(failure.reason) }, 'in-process publish incomplete');
      throw failure.reason;
    }
  }
}

class RunningSubscription {
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly consumer: IdempotentConsumer,
    private readonly lanes: number,
  ) {}

  async deliver(topic: string, messages: readonly Message[]): Promise<void> {
    const lanes = new Map<number, Message[]>();
    for (const message of messages) {
      const lane = fnv1a32(message.key) % this.lanes;
      const queue = lanes.get(lane);
      if (queue === undefined) lanes.set(lane, [message]);
      else queue.push(message);
    }
    const work = Promise.allSettled([...lanes.values()].map((lane) => this.deliverLane(topic, lane)));
    const settled = work.then(() => undefined);
    this.inFlight.add(settled);
    try {
      const failure = (await work).find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failure !== undefined) throw failure.reason;
    } finally {
      this.inFlight.delete(settled);
    }
  }

  private async deliverLane(topic: string, messages: readonly Message[]): Promise<void> {
    for (const message of messages) {
      if (this.stopped) throw new SubscriberUnavailableError(topic, this.consumer.consumer);
      await this.consumer.deliver({ topic, value: message.value }, { signal: this.abort.signal });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort(new DeliveryAbortedError(this.consumer.consumer));
    await Promise.allSettled([...this.inFlight]);
  }
}
