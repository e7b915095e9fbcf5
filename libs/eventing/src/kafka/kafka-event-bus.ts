import type { ContextName, EventEnvelope } from '@cairn/contracts';
import { Partitioners, type Admin, type Kafka, type Consumer, type EachBatchPayload, type Message, type Producer } from 'kafkajs';
import { readConsumerPosition, readConsumerPositions } from '../consumer-offsets';
import { encodeEnvelope } from '../envelope-codec';
import { DeliveryAbortedError } from '../errors';
import type { ConsumerLag, EventBus, Subscription, SubscriptionHandle } from '../event-bus';
import { IdempotentConsumer } from '../inbox';
import { errorFields, silentLogger, type Logger } from '../logger';
import { withTimeout } from '../retry';
import { SerialQueue } from '../serial-queue';
import type { EventingDatabase } from '../sql';
import { KafkaNotReadyError, untilKafkaReady, waitForTopicLeaders, type ReadinessWait } from './kafka-readiness';
import { createKafkaClient, createTopicIfMissing, type KafkaClient, type KafkaConnection } from './kafka-topics';

/** How long a lag read (a /metrics scrape) waits out a moving partition leader. */
const LAG_READ_TIMEOUT_MS = 5_000;

export interface KafkaEventBusOptions extends KafkaConnection {
  database: EventingDatabase;
  logger?: Logger;
  /** Topics to create at start if missing (e.g. `CONTEXTS.map(topicOf)`); others are created on first use. */
  topics?: readonly string[];
  /** Partitions of a topic this bus creates because it is missing. */
  partitions?: number;
  /** Replication factor of created topics; the broker's default when absent. */
  replicationFactor?: number;
  /** `retention.ms` of created topics; the broker's default when absent. */
  retentionMs?: number;
  /**
   * Whether missing topics are created (true by default, for development). When false they must
   * exist (the migration job declares them): the bus only waits for them, up to `readyTimeoutMs`.
   */
  createTopics?: boolean;
  /** Payload bytes per produce request; a bigger batch is sent as several requests, in order. */
  maxRequestBytes?: number;
  /**
   * How long `start`, `subscribe` and a topic's first use wait for Kafka to be ready (brokers
   * reachable, topics with a leader on every partition, the consumer in its group) before failing.
   * Until then transient broker states are waited out, with a log line per wait.
   */
  readyTimeoutMs?: number;
  /** How long `ping` waits for cluster metadata. */
  pingTimeoutMs?: number;
  /**
   * How long one publish may wait for the brokers' acknowledgement before the producer is replaced
   * and the publish fails (the relay then retries the batch). kafkajs's producer was seen never to
   * settle a send issued while a broker was restarting, which stalled the relay for good.
   */
  sendTimeoutMs?: number;
  /** Prepended to every consumer group id (the runtime passes CAIRN_KAFKA_TOPIC_PREFIX). */
  groupIdPrefix?: string;
  consumer?: {
    sessionTimeout?: number;
    heartbeatInterval?: number;
    maxWaitTimeInMs?: number;
    /** Partitions applied concurrently per consumer (order holds within a partition). */
    partitionsConsumedConcurrently?: number;
  };
}

/**
 * The distributed-mode bus over Kafka (kafkajs, which nothing else imports: it is unmaintained
 * since 2023 and must stay replaceable).
 *
 * Producing: an idempotent producer (acks = all, one request in flight, as idempotence requires),
 * key = aggregate id, so all events of an aggregate land on one partition in order and a retried
 * request can neither duplicate nor reorder them.
 *
 * Consuming: one consumer group per subscription (group id = consumer name). Each message is
 * applied through the shared IdempotentConsumer, whose transaction also stores the next offset in
 * the consuming context's `consumer_offsets`. Kafka's own committed offsets are kept up to date as
 * a hint only: on (re)assignment the consumer seeks to the offset stored in Postgres, which always
 * matches the projection, whatever Kafka remembers.
 */
export class KafkaEventBus implements EventBus {
  private readonly client: KafkaClient;
  private readonly kafka: Kafka;
  private readonly database: EventingDatabase;
  private readonly logger: Logger;
  private readonly partitions: number;
  private readonly replicationFactor: number | undefined;
  private readonly retentionMs: number | undefined;
  private readonly createTopics: boolean;
  private readonly maxRequestBytes: number;
  private readonly readyTimeoutMs: number;
  private readonly pingTimeoutMs: number;
  private readonly sendTimeoutMs: number;
  private readonly consumerOptions: NonNullable<KafkaEventBusOptions['consumer']>;
  private readonly groupIdPrefix: string;
  private readonly initialTopics: readonly string[];
  private readonly publishes = new SerialQueue();
  private readonly topics = new Map<string, Promise<void>>();
  /** The live subscriptions, with what `consumerLag` reports on: their consumer, context and topics. */
  private readonly subscriptions = new Map<KafkaSubscription, Pick<Subscription, 'consumer' | 'context' | 'topics'>>();
  private producer: Producer | undefined;
  /** Set when a send timed out: the next publish replaces the producer first. */
  private producerStale = false;
  private admin: Admin | undefined;
  private pinging: Promise<void> | undefined;
  /** Aborted by `stop`, so no readiness wait outlives the bus. */
  private lifetime = new AbortController();

  constructor(options: KafkaEventBusOptions) {
    this.database = options.database;
    this.logger = options.logger ?? silentLogger;
    this.partitions = options.partitions ?? 3;
    this.replicationFactor = options.replicationFactor;
    this.retentionMs = options.retentionMs;
    this.createTopics = options.createTopics ?? true;
    this.maxRequestBytes = options.maxRequestBytes ?? 512 * 1024;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 5_000;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 30_000;
    this.consumerOptions = options.consumer ?? {};
    this.groupIdPrefix = options.groupIdPrefix ?? '';
    this.initialTopics = options.topics ?? [];
    this.client = createKafkaClient(options, this.logger);
    this.kafka = this.client.kafka;
  }

  async start(): Promise<void> {
    if (this.producer !== undefined) return;
    this.lifetime = new AbortController();
    const wait = this.readinessWait();
    const admin = this.kafka.admin();
    const producer = this.newProducer();
    try {
      await this.client.credentialsReady(wait);
      await untilKafkaReady('the brokers to accept an admin connection', () => admin.connect(), wait);
      await untilKafkaReady('the brokers to accept a producer connection', () => producer.connect(), wait);
    } catch (error) {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
      throw error;
    }
    this.admin = admin;
    this.producer = producer;
    try {
      await Promise.all(this.initialTopics.map((topic) => this.ensureTopic(topic, wait)));
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.lifetime.abort(new Error('Kafka event bus stopped'));
    await Promise.allSettled([...this.subscriptions.keys()].map((subscription) => subscription.stop()));
    this.subscriptions.clear();
    await this.publishes.idle();
    const { producer, admin } = this;
    this.producer = undefined;
    this.admin = undefined;
    this.topics.clear();
    await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
  }

  ping(): Promise<void> {
    const admin = this.admin;
    if (admin === undefined) return Promise.reject(new Error('Kafka event bus is not started'));
    // One ping at a time: while Kafka is away each lasts until its timeout, and readiness asks often.
    this.pinging ??= withTimeout(admin.describeCluster(), this.pingTimeoutMs, `Kafka did not answer within ${this.pingTimeoutMs} ms`)
      .then(() => undefined)
      .finally(() => (this.pinging = undefined));
    return this.pinging;
  }

  publish(topic: string, envelopes: readonly EventEnvelope[]): Promise<void> {
    // Batches to one topic go out strictly one after another: with one request in flight per
    // connection that keeps the partition order equal to the call order.
    return this.publishes.run(topic, async () => {
      if (this.producer === undefined) throw new Error('Kafka event bus is not started');
      if (envelopes.length === 0) return;
      if (this.producerStale) await this.replaceProducer();
      const producer = this.producer;
      await this.ensureTopic(topic, this.readinessWait());
      for (const messages of this.requests(envelopes)) {
        try {
          await withTimeout(
            producer.send({ topic, acks: -1, messages }),
            this.sendTimeoutMs,
            `Kafka did not acknowledge a publish within ${this.sendTimeoutMs} ms`,
          );
        } catch (error) {
          // A send that never settles would hold this topic's queue (and the relay) for good: the
          // next publish starts on a new producer. Re-sending what the old one may have written is
          // safe — consumers apply each event once, by its id.
          if (error instanceof Error && error.message.startsWith('Kafka did not acknowledge')) this.producerStale = true;
          throw error;
        }
      }
    });
  }

  private newProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // The Java client's murmur2 partitioning, so any other producer keys aggregates alike.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  /** Swaps a producer whose send hung for a new, connected one (the old one is disconnected in the background). */
  private async replaceProducer(): Promise<void> {
    const fresh = this.newProducer();
    try {
      await withTimeout(fresh.connect(), this.sendTimeoutMs, `Kafka did not accept a producer connection within ${this.sendTimeoutMs} ms`);
    } catch (error) {
      void fresh.disconnect().catch(() => undefined);
      throw error;
    }
    const old = this.producer;
    this.producer = fresh;
    this.producerStale = false;
    this.logger.warn({}, 'Kafka producer replaced after a publish that was not acknowledged in time');
    void old?.disconnect().catch(() => undefined);
  }

  async subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    if (this.producer === undefined) throw new Error('Kafka event bus is not started');
    if (subscription.topics.length === 0) throw new Error(`consumer ${subscription.consumer} subscribes to no topic`);
    const wait = this.readinessWait();
    await Promise.all(subscription.topics.map((topic) => this.ensureTopic(topic, wait)));
    const consumer = this.kafka.consumer({
      // The group is namespaced like the topics, so installations (or test runs) sharing a cluster
      // never join each other's groups; the consumer name (inbox and offsets key) stays as it is.
      groupId: this.groupIdPrefix + subscription.consumer,
      allowAutoTopicCreation: false,
      sessionTimeout: this.consumerOptions.sessionTimeout,
      heartbeatInterval: this.consumerOptions.heartbeatInterval,
      maxWaitTimeInMs: this.consumerOptions.maxWaitTimeInMs,
    });
    const running = new KafkaSubscription(
      consumer,
      new IdempotentConsumer(this.database, subscription, this.logger),
      this.database,
      subscription.context,
      this.logger,
    );
    await running.start(subscription.topics, wait, this.consumerOptions.partitionsConsumedConcurrently ?? 1);
    this.subscriptions.set(running, { consumer: subscription.consumer, context: subscription.context, topics: subscription.topics });
    return {
      consumer: subscription.consumer,
      stop: async () => {
        this.subscriptions.delete(running);
        await running.stop();
      },
    };
  }

  /**
   * Per (consumer, topic): the log end offsets Kafka reports minus the next offsets Postgres holds
   * for that consumer (the positions that matter: they commit with the projection). A partition
   * the consumer never committed on counts from its earliest retained offset.
   */
  async consumerLag(): Promise<ConsumerLag[]> {
    const admin = this.admin;
    if (admin === undefined) throw new Error('Kafka event bus is not started');
    const lags: ConsumerLag[] = [];
    for (const { consumer, context, topics } of this.subscriptions.values()) {
      for (const topic of topics) {
        // A partition's leader can move (a fresh or restarting broker): kafkajs reports that as an
        // error it does not retry here, so the read refreshes the topic's metadata and tries again,
        // for a scrape's worth of time (LAG_READ_TIMEOUT_MS), not a start-up's.
        const offsets = async () => {
          try {
            return await admin.fetchTopicOffsets(topic);
          } catch (error) {
            await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
            throw error;
          }
        };
        const [ends, committed] = await Promise.all([
          untilKafkaReady(`offsets of ${topic}`, offsets, {
            ...this.readinessWait(),
            deadline: Date.now() + LAG_READ_TIMEOUT_MS,
            timeoutMs: LAG_READ_TIMEOUT_MS,
          }),
          readConsumerPositions(this.database, context, consumer, topic),
        ]);
        let messages = 0n;
        for (const end of ends) {
          const next = committed.get(end.partition) ?? BigInt(end.low);
          const behind = BigInt(end.high) - next;
          if (behind > 0n) messages += behind;
        }
        lags.push({ consumer, topic, messages: Number(messages) });
      }
    }
    return lags;
  }

  /** A fresh readiness budget, ended early by `stop`. */
  private readinessWait(): ReadinessWait {
    return { deadline: Date.now() + this.readyTimeoutMs, timeoutMs: this.readyTimeoutMs, logger: this.logger, signal: this.lifetime.signal };
  }

  /**
   * Makes sure the topic is served before first use (once per topic): created with this bus's
   * sizing if missing (unless topics are declared by the migration job), then waited on until
   * every partition has a leader. Whether this bus or another process created it a moment ago, the
   * topic may not be served yet: the broker answers "does not host this topic-partition" or
   * "leader not available", and producing or joining then fails.
   */
  private ensureTopic(topic: string, wait: ReadinessWait): Promise<void> {
    let ready = this.topics.get(topic);
    if (ready === undefined) {
      const admin = this.admin;
      if (admin === undefined) return Promise.reject(new Error('Kafka event bus is not started'));
      const spec = { partitions: this.partitions, replicationFactor: this.replicationFactor, retentionMs: this.retentionMs };
      ready = this.createTopics
        ? createTopicIfMissing(admin, topic, spec, wait).then(() => undefined)
        : waitForTopicLeaders(admin, topic, wait).catch((error: unknown) => {
            if (!(error instanceof KafkaNotReadyError)) throw error;
            throw new KafkaNotReadyError(`${error.message} (this process does not create topics: the migration job declares them)`, { cause: error.cause });
          });
      this.topics.set(topic, ready);
      ready.catch(() => this.topics.delete(topic));
    }
    return ready;
  }

  /** Splits a batch into produce requests of at most `maxRequestBytes` (at least one message each). */
  private *requests(envelopes: readonly EventEnvelope[]): Generator<Message[]> {
    let request: Message[] = [];
    let bytes = 0;
    for (const envelope of envelopes) {
      const value = encodeEnvelope(envelope);
      const size = Buffer.byteLength(value) + Buffer.byteLength(envelope.aggregateId) + 128;
      if (request.length > 0 && bytes + size > this.maxRequestBytes) {
        yield request;
        request = [];
        bytes = 0;
      }
      request.push({
        key: envelope.aggregateId,
        value,
        headers: { 'cairn-event-type': envelope.type, 'cairn-event-id': envelope.eventId, 'content-type': 'application/json' },
      });
      bytes += size;
    }
    if (request.length > 0) yield request;
  }
}

interface PartitionPosition {
  /** The offset Postgres says comes next (0 when this consumer never committed there). */
  nextOffset: bigint;
  /** Whether this assignment already reconciled Kafka's position with it. */
  reconciled: boolean;
}

class KafkaSubscription {
  /** Replaced on every group (re)join: a partition may come back after another member moved it on. */
  private positions = new Map<string, PartitionPosition>();
  private readonly abort = new AbortController();
  private readonly listeners: Array<() => void> = [];
  private stopping = false;

  constructor(
    private readonly consumer: Consumer,
    private readonly inbox: IdempotentConsumer,
    private readonly database: EventingDatabase,
    private readonly context: ContextName,
    private readonly logger: Logger,
  ) {}

  /** Connects, subscribes and joins the group, waiting out transient broker states until `wait.deadline`. */
  async start(topics: readonly string[], wait: ReadinessWait, partitionsConsumedConcurrently: number): Promise<void> {
    const name = this.inbox.consumer;
    const joined = new Promise<void>((resolve, reject) => {
      this.listeners.push(
        this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
          this.positions = new Map();
          resolve();
        }),
        this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
          this.logger.error({ consumer: this.inbox.consumer, restart: payload.restart, ...errorFields(payload.error) }, 'Kafka consumer crashed');
          if (!payload.restart) reject(payload.error);
        }),
      );
    });
    joined.catch(() => undefined);
    try {
      await untilKafkaReady(`consumer ${name} to connect`, () => this.consumer.connect(), wait);
      // kafkajs refreshes metadata once here and throws if this broker does not know a topic yet.
      await untilKafkaReady(
        `consumer ${name} to subscribe to ${topics.join(', ')}`,
        () => this.consumer.subscribe({ topics: [...topics], fromBeginning: true }),
        wait,
      );
      // From here kafkajs restarts the consumer itself after a retriable error (CRASH with restart).
      await this.consumer.run({
        autoCommit: true,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently,
        eachBatch: (payload) => this.eachBatch(payload),
      });
      await withTimeout(joined, Math.max(0, wait.deadline - Date.now()), `consumer ${name} did not join its group within ${wait.timeoutMs} ms`);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.abort.abort(new DeliveryAbortedError(this.inbox.consumer));
    try {
      await this.consumer.disconnect();
    } finally {
      for (const remove of this.listeners) remove();
    }
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const positions = this.positions;
    const key = `${topic}:${partition}`;
    let position = positions.get(key);
    if (position === undefined) {
      const stored = await readConsumerPosition(this.database, this.context, this.inbox.consumer, topic, partition);
      position = { nextOffset: stored ?? 0n, reconciled: false };
      positions.set(key, position);
    }
    for (const message of batch.messages) {
      if (this.stopping || !isRunning() || isStale()) return;
      const offset = BigInt(message.offset);
      if (!position.reconciled && offset !== position.nextOffset) {
        // Kafka's committed offset disagrees with the one committed alongside the projection:
        // Postgres wins. If that offset no longer exists (retention), Kafka resets to the earliest
        // one and we continue from there; the inbox still keeps every apply idempotent.
        position.reconciled = true;
        this.logger.info(
          { consumer: this.inbox.consumer, topic, partition, kafkaOffset: message.offset, storedOffset: position.nextOffset.toString() },
          'seeking to the offset stored in Postgres',
        );
        this.consumer.seek({ topic, partition, offset: position.nextOffset.toString() });
        return;
      }
      position.reconciled = true;
      try {
        await this.inbox.deliver(
          { topic, value: message.value, commitPosition: { topic, partition, nextOffset: offset + 1n } },
          { signal: this.abort.signal, beforeRetry: heartbeat },
        );
      } catch (error) {
        // Stopped while waiting to retry: leave the message (and the rest) for whoever owns the partition next.
        if (error instanceof DeliveryAbortedError) return;
        throw error;
      }
      position.nextOffset = offset + 1n;
      resolveOffset(message.offset);
      await heartbeat();
    }
  }
}
