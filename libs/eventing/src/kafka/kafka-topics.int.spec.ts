/**
 * Topics declared, not raced: what services starting together on a fresh cluster do, and what a
 * service that leaves topic creation to the migration job does.
 */
import { randomBytes } from 'node:crypto';
import { testEndpoints } from '@cairn/testing';
import { Kafka, logLevel } from 'kafkajs';
import type { Logger } from '../logger';
import { KafkaEventBus } from './kafka-event-bus';
import { declareKafkaTopics } from './kafka-topics';
import { createEventingTestDatabase, unique, type EventingTestDatabase } from '../testing/eventing-test-support';

jest.setTimeout(120_000);

const brokers = testEndpoints.kafkaBrokers().split(',');
const freshTopics = () => {
  const prefix = `cairn.topics.${randomBytes(4).toString('hex')}.`;
  return ['tracking', 'artifacts', 'registry', 'webhooks'].map((context) => `${prefix}${context}.v1`);
};

/** Every warning and error logged, kafkajs's own included (they reach us through kafkaLogCreator). */
function recordingLogger(): Logger & { problems: string[] } {
  const problems: string[] = [];
  const ignore = () => undefined;
  return {
    problems,
    debug: ignore,
    info: ignore,
    warn: (fields, message) => void problems.push(`WARN ${message} ${JSON.stringify(fields)}`),
    error: (fields, message) => void problems.push(`ERROR ${message} ${JSON.stringify(fields)}`),
  };
}

describe('Kafka topics', () => {
  let env: EventingTestDatabase;
  const admin = new Kafka({ clientId: 'topics-test', brokers, logLevel: logLevel.NOTHING }).admin();

  beforeAll(async () => {
    env = await createEventingTestDatabase();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
    await env.close();
  });

  it('four services starting together on a fresh cluster all start, creating each topic once, logging nothing about its creation', async () => {
    for (let round = 0; round < 3; round++) {
      const topics = freshTopics();
      const logger = recordingLogger();
      const buses = [0, 1, 2, 3].map(
        (i) => new KafkaEventBus({ brokers, clientId: unique(`service-${i}`), database: env.db, logger, topics, partitions: 2, readyTimeoutMs: 30_000 }),
      );
      try {
        await Promise.all(buses.map((bus) => bus.start()));
      } finally {
        await Promise.allSettled(buses.map((bus) => bus.stop()));
      }
      // (kafkajs logs other broker answers it retries, e.g. a coordinator still loading, at ERROR too.)
      expect(logger.problems.filter((line) => /CreateTopics|Topic creation|already exists/i.test(line))).toEqual([]);
      const { topics: described } = await admin.fetchTopicMetadata({ topics });
      expect(described.map((topic) => topic.partitions.length)).toEqual([2, 2, 2, 2]);
    }
  });

  it('four migration jobs declaring at once (an upgrade retried) all succeed: "already exists" is success', async () => {
    const topics = freshTopics();
    const logger = recordingLogger();
    const runs = await Promise.all(
      [0, 1, 2, 3].map((i) => declareKafkaTopics({ connection: { brokers, clientId: unique(`job-${i}`) }, topics, spec: { partitions: 2 }, logger })),
    );
    expect(logger.problems.filter((line) => /CreateTopics|Topic creation|already exists/i.test(line))).toEqual([]);
    for (const [index, topic] of topics.entries()) {
      const outcomes = runs.map((declared) => declared[index]);
      expect(outcomes.filter((declared) => declared?.outcome === 'created')).toHaveLength(1);
      expect(outcomes.every((declared) => declared?.topic === topic && declared.drift.length === 0)).toBe(true);
    }
  });

  it('a service that does not create topics starts on topics the migration job declared, with their sizing', async () => {
    const topics = freshTopics();
    await declareKafkaTopics({ connection: { brokers, clientId: unique('job') }, topics, spec: { partitions: 5, retentionMs: 86_400_000 } });
    const bus = new KafkaEventBus({ brokers, clientId: unique('service'), database: env.db, topics, createTopics: false, readyTimeoutMs: 10_000 });
    try {
      await bus.start();
    } finally {
      await bus.stop();
    }
    const { topics: described } = await admin.fetchTopicMetadata({ topics });
    expect(described.map((topic) => topic.partitions.length)).toEqual([5, 5, 5, 5]);
  });

  it('a service that does not create topics fails to start without them, saying the migration job declares them, and creates none', async () => {
    const topics = freshTopics();
    const bus = new KafkaEventBus({ brokers, clientId: unique('service'), database: env.db, topics, createTopics: false, readyTimeoutMs: 2_000 });
    try {
      await expect(bus.start()).rejects.toThrow(
        /^Kafka not ready after 2000 ms: topic .* \(this process does not create topics: the migration job declares them\)$/,
      );
    } finally {
      await bus.stop();
    }
    const existing = await admin.listTopics();
    expect(topics.filter((topic) => existing.includes(topic))).toEqual([]);
  });
});
