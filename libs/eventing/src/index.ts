export { systemClock, ManualClock, type Clock } from './clock';
export { commitConsumerPosition, readConsumerPosition, type ConsumerPosition } from './consumer-offsets';
export { encodeEnvelope, parseEnvelope, type ParsedMessage } from './envelope-codec';
export { ConcurrencyError, DeliveryAbortedError, NonRetriableError, SubscriberUnavailableError, isRetriable } from './errors';
export { handlesEventType } from './event-bus';
export type { ConsumerLag, DeliveryInfo, DeliveryOutcome, EventBus, EventHandler, EventPublisher, Subscription, SubscriptionHandle } from './event-bus';
export { CommandHandler, type Command, type CommandHandlerOptions, type Loaded } from './command-handler';
export { EventStore, type EventStoreOptions, type ExpectedVersion, type StoredEvent } from './event-store';
export { ConsumerNotHereError, DeadLetterNotFoundError, DeadLetters, type DeadLetter, type DeadLetterPage, type ReplayResult } from './dead-letters';
export { IdempotentConsumer, type ConsumerCommit, type DeliverOptions, type InboundMessage } from './inbox';
export { InboxPruner, pruneInbox, type InboxPrunerOptions } from './inbox-pruner';
export { InProcessEventBus, type InProcessEventBusOptions } from './in-process/in-process-event-bus';
export { KafkaEventBus, type KafkaEventBusOptions } from './kafka/kafka-event-bus';
export { declareKafkaTopics, type DeclareTopicsOptions, type KafkaConnection, type TopicDeclaration, type TopicSpec } from './kafka/kafka-topics';
export { errorFields, silentLogger, type Logger } from './logger';
export { OutboxRelay, type OutboxRelayOptions } from './outbox-relay';
export { DEFAULT_RETRY_POLICY, Wakeup, backoffDelay, retryPolicy, type RetryPolicy } from './retry';
export { SingleReplicaLoop, type LeaderSession, type SingleReplicaLoopOptions } from './single-replica-loop';
export { isUniqueViolation, outboxChannel, type EventingDatabase } from './sql';
export { nameBasedUuid } from './name-based-uuid';
export { consumerReplay, rebuildReadModel, replayLog, type LogReplay, type ReadModelRebuild } from './read-model-rebuild';
export {
  RebuildAlreadyRunningError,
  readRebuildProgress,
  shadowRewriter,
  startOnlineRebuild,
  type OnlineRebuildOptions,
  type RebuildPhase,
  type RebuildProgress,
  type RebuildState,
  type StartedRebuild,
} from './read-model-online-rebuild';
export { exportEvents, type EventExportOptions } from './event-export';
export { snapshotTables, verifyReadModel, type ReadModelCheck, type TableDifference, type TableSnapshot, type VerifyReport } from './read-model-verify';
export { createUuidV7Generator, uuidv7, uuidv7Timestamp, type UuidV7Options } from './uuidv7';
export { withTopicPrefix } from './topic-prefix';
