import { ConfigResourceTypes, Kafka, type Admin, type SASLOptions } from 'kafkajs';
import { errorFields, silentLogger, type Logger } from '../logger';
import { kafkaLogCreator } from './kafka-logger';
import { clientCredentialsTokenProvider, type OAuthClientCredentials } from './oauth-bearer';
import { untilKafkaReady, waitForTopicLeaders, type ReadinessWait } from './kafka-readiness';

/** How to reach a secured cluster. The password (or client secret) is handed to kafkajs or the token endpoint only, never logged. */
export interface KafkaConnection {
  brokers: readonly string[];
  clientId: string;
  /** TLS to the brokers; `ca` (PEM) replaces Node's trusted CAs when given. Absent → plaintext. */
  tls?: { ca?: readonly string[] };
  sasl?:
    | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
    | { mechanism: 'oauthbearer'; oauth: OAuthClientCredentials };
}

/** What a topic Cairn creates looks like; an existing topic is never altered. */
export interface TopicSpec {
  partitions: number;
  /** The broker's default (`default.replication.factor`) when absent. */
  replicationFactor?: number;
  /** `retention.ms` of the topic; the broker's default when absent, -1 keeps events forever. */
  retentionMs?: number;
}

export interface KafkaClient {
  kafka: Kafka;
  /**
   * Waits until the credentials are at hand: with OAUTHBEARER, a token from the endpoint (a
   * transient failure waited out until `wait.deadline`, a refusal thrown at once). Call it before
   * connecting: kafkajs asks for the token in the middle of the SASL exchange, and a failure there
   * leaves the connection in a state the broker then rejects ("not valid given the current SASL
   * state") instead of the endpoint's reason. Later connections take the cached token.
   */
  credentialsReady(wait: ReadinessWait): Promise<void>;
}

export function createKafkaClient(connection: KafkaConnection, logger: Logger): KafkaClient {
  const { tls, sasl } = connection;
  let saslOptions: SASLOptions | undefined;
  let credentialsReady: KafkaClient['credentialsReady'] = async () => undefined;
  if (sasl?.mechanism === 'oauthbearer') {
    const token = clientCredentialsTokenProvider(sasl.oauth);
    saslOptions = { mechanism: 'oauthbearer', oauthBearerProvider: token };
    credentialsReady = async (wait) => void (await untilKafkaReady(`a token from ${sasl.oauth.tokenUrl}`, token, wait));
  } else {
    saslOptions = sasl;
  }
  const kafka = new Kafka({
    clientId: connection.clientId,
    brokers: [...connection.brokers],
    ssl: tls === undefined ? undefined : tls.ca === undefined ? true : { ca: [...tls.ca] },
    sasl: saslOptions,
    logCreator: kafkaLogCreator(logger),
  });
  return { kafka, credentialsReady };
}

/**
 * Creates `topic` as `spec` says unless it exists, then waits until every partition has a leader.
 * Idempotent under a race: when several processes create it at once, "already exists" is success
 * for the losers (kafkajs answers `false` then). Existence is checked first, so a topic that is
 * there is never sent to CreateTopics at all (whose refusal kafkajs logs as an ERROR).
 */
export async function createTopicIfMissing(admin: Admin, topic: string, spec: TopicSpec, wait: ReadinessWait): Promise<'created' | 'existed'> {
  const outcome = await untilKafkaReady(
    `topic ${topic} to be created`,
    async () => {
      if ((await admin.listTopics()).includes(topic)) return 'existed' as const;
      const created = await admin.createTopics({ waitForLeaders: false, topics: [topicRequest(topic, spec)] });
      return created ? ('created' as const) : ('existed' as const);
    },
    wait,
  );
  await waitForTopicLeaders(admin, topic, wait);
  return outcome;
}

export interface TopicDeclaration {
  topic: string;
  outcome: 'created' | 'existed';
  /** How an existing topic differs from the spec (Cairn never alters it: see docs/operations.md). */
  drift: string[];
}

export interface DeclareTopicsOptions {
  connection: KafkaConnection;
  topics: readonly string[];
  spec: TopicSpec;
  logger?: Logger;
  /** How long to wait out a cluster that is not ready yet. */
  timeoutMs?: number;
}

/**
 * The migration job's Kafka step: every topic exists with its partitions, replication and
 * retention before any service starts, so no service needs the right to create topics and
 * none races another to do it. Reports (and logs) existing topics that differ from the spec.
 */
export async function declareKafkaTopics(options: DeclareTopicsOptions): Promise<TopicDeclaration[]> {
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const wait: ReadinessWait = { deadline: Date.now() + timeoutMs, timeoutMs, logger };
  const client = createKafkaClient(options.connection, logger);
  const admin = client.kafka.admin();
  try {
    await client.credentialsReady(wait);
    await untilKafkaReady('the brokers to accept an admin connection', () => admin.connect(), wait);
    const declarations: TopicDeclaration[] = [];
    for (const topic of options.topics) {
      const outcome = await createTopicIfMissing(admin, topic, options.spec, wait);
      const drift = outcome === 'existed' ? await topicDrift(admin, topic, options.spec) : [];
      if (drift.length > 0) logger.warn({ topic, drift }, `topic ${topic} differs from its declaration: ${drift.join('; ')}`);
      else logger.info({ topic, outcome }, `topic ${topic} ${outcome}`);
      declarations.push({ topic, outcome, drift });
    }
    return declarations;
  } catch (error) {
    logger.error({ ...errorFields(error) }, 'declaring the Kafka topics failed');
    throw error;
  } finally {
    await admin.disconnect();
  }
}

function topicRequest(topic: string, spec: TopicSpec) {
  return {
    topic,
    numPartitions: spec.partitions,
    replicationFactor: spec.replicationFactor,
    configEntries: spec.retentionMs === undefined ? [] : [{ name: 'retention.ms', value: String(spec.retentionMs) }],
  };
}

/** Partitions fewer or more than declared, replication or retention other than declared. */
async function topicDrift(admin: Admin, topic: string, spec: TopicSpec): Promise<string[]> {
  const drift: string[] = [];
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const partitions = topics[0]?.partitions ?? [];
  if (partitions.length !== spec.partitions) drift.push(`${partitions.length} partitions, declared ${spec.partitions}`);
  const replicas = partitions[0]?.replicas.length;
  if (spec.replicationFactor !== undefined && replicas !== spec.replicationFactor)
    drift.push(`replication factor ${replicas}, declared ${spec.replicationFactor}`);
  if (spec.retentionMs !== undefined) {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }],
    });
    const retention = resources[0]?.configEntries.find((entry) => entry.configName === 'retention.ms')?.configValue;
    if (retention !== String(spec.retentionMs)) drift.push(`retention.ms ${retention}, declared ${spec.retentionMs}`);
  }
  return drift;
}
