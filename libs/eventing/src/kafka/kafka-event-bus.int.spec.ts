/**
 * What the contract suite cannot see from outside the port: the wire format on Kafka, offsets kept
 * in Postgres winning over Kafka's, and bytes that are not an envelope at all.
 */
import { testEndpoints } from '@cairn/testing';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import type { EventBus } from '../event-bus';
import { KafkaEventBus } from './kafka-event-bus';
import {
  append,
  appliedCount,
  counted,
  counterProjection,
  createEventingTestDatabase,
  kafkaFixture,
  OutcomeCounter,
  unique,
  uniqueTopic,
  waitFor,
  type EventingTestDatabase,
} from '../testing/eventing-test-support';

jest.setTimeout(120_000);

describe('KafkaEventBus', () => {
  let env: EventingTestDatabase;
  let bus: EventBus;
  let topic: string;
  const kafka = new Kafka({ clientId: 'eventing-kafka-test', brokers: testEndpoints.kafkaBrokers().split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();

  beforeAll(async () => {
    env = await createEventingTestDatabase();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
    await env.close();
  });
  beforeEach(async () => {
    await env.reset();
    topic = uniqueTopic();
    bus = kafkaFixture.create(env.db);
    await bus.start();
  });
  afterEach(async () => {
    await bus.stop();
  });

  it('creates the topic with 3 partitions and writes key = aggregate id, value = envelope JSON, type and id headers', async () => {
    const envelopes = await append(env.db, [counted('run-1'), counted('run-2'), counted('run-1')]);
    await bus.publish(topic, envelopes);

    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0].partitions).toHaveLength(3);
    const received = await readAll(topic, 3);
    for (const envelope of envelopes) {
      const message = received.find((m) => m.value?.toString() !== undefined && JSON.parse(m.value.toString()).eventId === envelope.eventId);
      expect(message).toBeDefined();
      expect(message?.key?.toString()).toBe(envelope.aggregateId);
      expect(JSON.parse(message?.value?.toString() ?? 'null')).toEqual(envelope);
      expect(message?.headers?.['cairn-event-type']?.toString()).toBe(envelope.type);
      expect(message?.headers?.['cairn-event-id']?.toString()).toBe(envelope.eventId);
    }
  });

  it('creates the topics it is configured with at start, before anything is published', async () => {
    const configured = uniqueTopic();
    const other = new KafkaEventBus({
      brokers: testEndpoints.kafkaBrokers().split(','),
      clientId: unique('topics'),
      database: env.db,
      topics: [configured],
      partitions: 3,
    });
    await other.start();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [configured] });
      expect(metadata.topics[0].partitions).toHaveLength(3);
    } finally {
      await other.stop();
    }
  });

  it('resumes from the offsets committed with the projection in Postgres, whatever Kafka remembers', async () => {
    const consumer = unique('pg-offsets');
    const first = new OutcomeCounter();
    const handle = await bus.subscribe({ consumer, context: 'registry', topics: [topic], handler: counterProjection(consumer), onOutcome: first.onOutcome });
    await bus.publish(
      topic,
      await append(
        env.db,
        Array.from({ length: 10 }, (_, i) => counted(`run-${i % 4}`)),
      ),
    );
    await first.reach('applied', 10);
    await handle.stop();

    // Kafka forgets the group and its committed offsets; only Postgres knows how far the projection got.
    await admin.deleteGroups([consumer]);
    await bus.publish(
      topic,
      await append(
        env.db,
        Array.from({ length: 5 }, (_, i) => counted(`run-${i % 4}`)),
      ),
    );
    const second = new OutcomeCounter();
    const again = await bus.subscribe({ consumer, context: 'registry', topics: [topic], handler: counterProjection(consumer), onOutcome: second.onOutcome });
    await second.reach('applied', 5);
    await again.stop();

    // Not even re-read: the consumer sought past everything already applied.
    expect(second.counts).toEqual({ applied: 5, skipped: 0, duplicate: 0, dead_lettered: 0 });
    expect(await appliedCount(env.db, consumer)).toBe(15);
    const { rows } = await env.db.query<{ total: string }>(
      'SELECT sum(next_offset) AS total FROM registry.consumer_offsets WHERE consumer = $1 AND topic = $2',
      [consumer, topic],
    );
    expect(Number(rows[0].total)).toBe(15);
  });

  it('dead-letters bytes that are not JSON, keeping them and where they came from, and goes on', async () => {
    const consumer = unique('garbage');
    const outcomes = new OutcomeCounter();
    await bus.subscribe({ consumer, context: 'webhooks', topics: [topic], handler: counterProjection(consumer), onOutcome: outcomes.onOutcome });
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic, messages: [{ key: 'run-1', value: '<html>502 Bad Gateway</html>' }] });
    } finally {
      await producer.disconnect();
    }
    await bus.publish(topic, await append(env.db, [counted('run-1')]));

    await outcomes.reach('applied', 1);
    await outcomes.reach('dead_lettered', 1);
    const { rows } = await env.db.query<{ raw_message: string; reason: string; source_topic: string; source_offset: string; event_id: string | null }>(
      'SELECT raw_message, reason, source_topic, source_offset, event_id FROM webhooks.dead_letters WHERE consumer = $1',
      [consumer],
    );
    expect(rows).toEqual([
      { raw_message: '<html>502 Bad Gateway</html>', reason: expect.stringMatching(/^not JSON/), source_topic: topic, source_offset: '0', event_id: null },
    ]);
  });

  it('reports how far a consumer is behind on each topic: published but not yet applied, then 0 once it caught up', async () => {
    const consumer = unique('lag');
    const outcomes = new OutcomeCounter();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const project = counterProjection(consumer);
    await bus.subscribe({
      consumer,
      context: 'registry',
      topics: [topic],
      // Every event waits at the gate: nothing is applied (nor its offset committed) until it opens.
      handler: async (event, tx, delivery) => {
        await gate;
        await project(event, tx, delivery);
      },
      onOutcome: outcomes.onOutcome,
    });
    expect(await bus.consumerLag?.()).toEqual([{ consumer, topic, messages: 0 }]);
    await bus.publish(
      topic,
      await append(
        env.db,
        Array.from({ length: 6 }, () => counted('run-lag')),
      ),
    );
    expect(await bus.consumerLag?.()).toEqual([{ consumer, topic, messages: 6 }]);
    release();
    await outcomes.reach('applied', 6);
    await waitFor(async () => ((await bus.consumerLag?.())?.[0]?.messages === 0 ? true : undefined), { message: 'lag back to 0' });
  });

  /** Reads `n` messages of `topic` from the beginning with a plain consumer of its own. */
  async function readAll(from: string, n: number): Promise<KafkaMessage[]> {
    const messages: KafkaMessage[] = [];
    const reader = kafka.consumer({ groupId: unique('reader'), maxWaitTimeInMs: 250 });
    await reader.connect();
    try {
      await reader.subscribe({ topics: [from], fromBeginning: true });
      await reader.run({ eachMessage: async ({ message }) => void messages.push(message) });
      await waitFor(() => (messages.length >= n ? true : undefined), { timeoutMs: 30_000, message: `${n} messages on ${from}` });
    } finally {
      await reader.disconnect();
    }
    return messages;
  }
});
