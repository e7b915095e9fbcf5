import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { ContextName } from '@cairn/contracts';
import { CONTEXTS, topicOf } from '@cairn/contracts';
import {
  EventStore,
  InboxPruner,
  InProcessEventBus,
  KafkaEventBus,
  OutboxRelay,
  withTopicPrefix,
  type EventBus,
  type KafkaConnection,
  type Logger,
} from '@cairn/eventing';
import type { CairnConfig, Database, JsonLogger, MetricsRegistry, ReadinessProbe } from '@cairn/platform';

/** Injection token for the process's EventBus (contexts inject `EventStore` by class). */
export const EVENT_BUS = Symbol('EventBus');

export interface EventingModuleDeps {
  bus: EventBus;
  eventStore: EventStore;
}

/** Shares the event store and the bus with context modules. */
@Global()
@Module({})
export class EventingModule {
  static forRoot(deps: EventingModuleDeps): DynamicModule {
    return {
      module: EventingModule,
      providers: [
        { provide: EventStore, useValue: deps.eventStore },
        { provide: EVENT_BUS, useValue: deps.bus },
      ],
      exports: [EventStore, EVENT_BUS],
    };
  }
}

// The eventing port takes pino's argument order, so a pino child logger fits as is.
export const eventingLogger = (logger: JsonLogger): Logger => logger.pino.child({ context: 'eventing' });

/** Kafka when CAIRN_KAFKA_BROKERS is set (distributed mode), otherwise the in-process bus. */
export function createEventBus(config: CairnConfig, database: Database, logger: JsonLogger): EventBus {
  const log = eventingLogger(logger);
  if (config.kafkaBrokers) {
    const prefix = config.kafkaTopicPrefix;
    const kafka = new KafkaEventBus({
      ...kafkaConnection(config, config.kafkaBrokers),
      groupIdPrefix: prefix,
      readyTimeoutMs: config.kafkaReadyTimeoutMs,
      database,
      logger: log,
      topics: contextTopics(config),
      partitions: config.kafka.topics.partitions,
      replicationFactor: config.kafka.topics.replicationFactor,
      retentionMs: config.kafka.topics.retentionMs,
      createTopics: config.kafka.createTopics,
    });
    return withTopicPrefix(kafka, prefix);
  }
  // The relays (startRelays) write the same database: consumers may commit asynchronously (ADR 0016).
  return new InProcessEventBus({ database, logger: log, consumerCommit: 'asynchronous' });
}

/** Brokers, TLS and SASL from the configuration, for the bus and for the migration job's admin step. */
export function kafkaConnection(config: CairnConfig, brokers: string[]): KafkaConnection {
  const { tls, sasl } = config.kafka;
  return { brokers, clientId: `cairn-${config.serviceName}`, tls, sasl };
}

/** Every context's topic, under this installation's prefix. */
export const contextTopics = (config: CairnConfig): string[] => CONTEXTS.map((context) => config.kafkaTopicPrefix + topicOf(context));

/** One relay per context this process writes; only one replica's relay per context is active. */
export async function startRelays(
  contexts: ContextName[],
  runtime: { config: CairnConfig; database: Database; bus: EventBus; logger: JsonLogger; metrics?: MetricsRegistry },
) {
  const relays = contexts.map(
    (context) =>
      new OutboxRelay({
        database: runtime.database,
        context,
        publisher: runtime.bus,
        pollIntervalMs: runtime.config.relayIntervalMs,
        logger: eventingLogger(runtime.logger),
      }),
  );
  if (runtime.metrics && contexts.length > 0) registerOutboxGauges(runtime.metrics, outboxBacklogReader(runtime.database, contexts));
  await Promise.all(relays.map((relay) => relay.start()));
  return async () => {
    await Promise.all(relays.map((relay) => relay.stop()));
  };
}

/** Forgets old inbox rows of the contexts whose consumers run in this process. */
export function startInboxPruner(contexts: ContextName[], runtime: { config: CairnConfig; database: Database; logger: JsonLogger }): () => Promise<void> {
  const pruner = new InboxPruner({
    database: runtime.database,
    contexts: [...new Set(contexts)],
    retentionHours: runtime.config.inboxRetentionHours,
    logger: eventingLogger(runtime.logger),
  });
  pruner.start();
  return () => pruner.stop();
}

/**
 * The consumers' lag on Kafka, read when /metrics is scraped: messages on each subscribed topic this
 * process's consumers have not applied yet (log end offsets against the positions in Postgres).
 */
export function registerConsumerLagGauge(metrics: MetricsRegistry, bus: EventBus): void {
  const consumerLag = bus.consumerLag?.bind(bus);
  if (consumerLag === undefined) return;
  metrics.gauge('cairn_consumer_lag_messages', 'Messages on a subscribed topic not yet applied by the consumer', ['consumer', 'topic'], async function () {
    for (const lag of await consumerLag()) this.set({ consumer: lag.consumer, topic: lag.topic }, lag.messages);
  });
}

type OutboxBacklog = Map<ContextName, { events: number; ageSeconds: number }>;

/**
 * Events committed but not yet published, per context, and how long the oldest has waited. Outbox
 * rows are deleted once published, so this is one small read; every replica reports the same
 * figures (they read the same tables), whichever leads. Callers within 100 ms share one read.
 */
function outboxBacklogReader(database: Database, contexts: ContextName[]): () => Promise<OutboxBacklog> {
  let reading: Promise<OutboxBacklog> | undefined;
  return () =>
    (reading ??= Promise.all(
      contexts.map(async (context) => {
        const { rows } = await database.query<{ n: number; age: number }>(
          `SELECT count(*)::int AS n, coalesce(extract(epoch FROM now() - min(enqueued_at)), 0)::float8 AS age FROM ${context}.outbox`,
        );
        return [context, { events: rows[0]?.n ?? 0, ageSeconds: rows[0]?.age ?? 0 }] as const;
      }),
    )
      .then((entries) => new Map(entries))
      .finally(() => setTimeout(() => (reading = undefined), 100).unref()));
}

/** The relays' lag as gauges, read when /metrics is scraped (prom-client collects them one after the other). */
function registerOutboxGauges(metrics: MetricsRegistry, read: () => Promise<OutboxBacklog>): void {
  metrics.gauge('cairn_outbox_backlog_events', 'Events committed but not yet published by the outbox relay', ['context'], async function () {
    for (const [context, lag] of await read()) this.set({ context }, lag.events);
  });
  metrics.gauge(
    'cairn_outbox_oldest_event_age_seconds',
    'How long the oldest unpublished event has waited in the outbox (0 when empty)',
    ['context'],
    async function () {
      for (const [context, lag] of await read()) this.set({ context }, lag.ageSeconds);
    },
  );
}

/**
 * The outbox backlog in /health/ready's report. Informational: while Kafka is away the backlog
 * grows and the service stays ready (the writes are safe in Postgres); alert on the gauges.
 */
export function outboxReadinessProbe(database: Database, contexts: ContextName[]): ReadinessProbe {
  const read = outboxBacklogReader(database, contexts);
  return {
    name: 'outbox',
    required: false,
    check: async () => {
      const backlog = await read();
      return {
        backlog_events: Object.fromEntries([...backlog].map(([context, lag]) => [context, lag.events])),
        oldest_event_age_seconds: Object.fromEntries([...backlog].map(([context, lag]) => [context, Math.round(lag.ageSeconds)])),
      };
    },
  };
}
