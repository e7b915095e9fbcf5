import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { ContextName } from '@cairn/contracts';
import { CONTEXTS, topicOf } from '@cairn/contracts';
import { EventStore, InProcessEventBus, KafkaEventBus, OutboxRelay, withTopicPrefix, type EventBus, type Logger } from '@cairn/eventing';
import type { CairnConfig, Database, JsonLogger } from '@cairn/platform';

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
const eventingLogger = (logger: JsonLogger): Logger => logger.pino.child({ context: 'eventing' });

/** Kafka when CAIRN_KAFKA_BROKERS is set (distributed mode), otherwise the in-process bus. */
export function createEventBus(config: CairnConfig, database: Database, logger: JsonLogger): EventBus {
  const log = eventingLogger(logger);
  if (config.kafkaBrokers) {
    const prefix = config.kafkaTopicPrefix;
    const kafka = new KafkaEventBus({
      brokers: config.kafkaBrokers,
      clientId: `cairn-${config.serviceName}`,
      groupIdPrefix: prefix,
      database,
      logger: log,
      topics: CONTEXTS.map((context) => prefix + topicOf(context)),
    });
    return withTopicPrefix(kafka, prefix);
  }
  return new InProcessEventBus({ database, logger: log });
}

/** One relay per context this process writes; only one replica's relay per context is active. */
export async function startRelays(contexts: ContextName[], runtime: { config: CairnConfig; database: Database; bus: EventBus; logger: JsonLogger }) {
  const relays = contexts.map(
    (context) =>
      new OutboxRelay({ database: runtime.database, context, publisher: runtime.bus, pollIntervalMs: runtime.config.relayIntervalMs, logger: eventingLogger(runtime.logger) }),
  );
  await Promise.all(relays.map((relay) => relay.start()));
  return async () => {
    await Promise.all(relays.map((relay) => relay.stop()));
  };
}
