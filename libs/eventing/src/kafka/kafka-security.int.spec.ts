/**
 * The bus against a secured broker, as managed clusters run them: a listener that speaks only TLS
 * (a self-signed certificate here) and SASL (SCRAM-SHA-256 or PLAIN). The broker is this file's own
 * (tools/infra's Kafka jars, free ports), started once for the file.
 */
import { readFileSync } from 'node:fs';
import { startPrivateKafka, type PrivateKafka } from '@cairn/testing';
import type { Logger } from '../logger';
import { KafkaEventBus, type KafkaEventBusOptions } from './kafka-event-bus';
import { declareKafkaTopics } from './kafka-topics';
import {
  append,
  counted,
  counterProjection,
  createEventingTestDatabase,
  OutcomeCounter,
  unique,
  uniqueTopic,
  type EventingTestDatabase,
} from '../testing/eventing-test-support';

jest.setTimeout(120_000);

describe('Kafka over TLS with SASL', () => {
  let env: EventingTestDatabase;
  let kafka: PrivateKafka;
  let ca: string;

  beforeAll(async () => {
    [env, kafka] = await Promise.all([createEventingTestDatabase(), startPrivateKafka({ security: 'sasl-ssl' })]);
    ca = readFileSync(kafka.caFile ?? '', 'utf8');
  });
  afterAll(async () => {
    await kafka?.destroy();
    await env?.close();
  });

  const busWith = (options: Partial<KafkaEventBusOptions>) =>
    new KafkaEventBus({
      brokers: [kafka.brokers],
      clientId: unique('secured'),
      database: env.db,
      tls: { ca: [ca] },
      sasl: { mechanism: 'scram-sha-256', ...kafka.user },
      consumer: { maxWaitTimeInMs: 250 },
      ...options,
    });

  it('publishes and consumes with SCRAM-SHA-256 credentials and the broker certificate trusted, never logging the password', async () => {
    const topic = uniqueTopic();
    const logged = capturingLogger();
    const bus = busWith({ topics: [topic], logger: logged.logger });
    try {
      await bus.start();
      await bus.ping();
      const consumer = unique('scram');
      const outcomes = new OutcomeCounter();
      await bus.subscribe({ consumer, context: 'registry', topics: [topic], handler: counterProjection(consumer), onOutcome: outcomes.onOutcome });
      await bus.publish(topic, await append(env.db, [counted('run-1'), counted('run-2')]));
      await outcomes.reach('applied', 2);
    } finally {
      await bus.stop();
    }
    expect(logged.lines.length).toBeGreaterThan(0);
    expect(logged.lines.filter((line) => line.includes(kafka.user.password))).toEqual([]);
  });

  it('publishes with PLAIN credentials too', async () => {
    const topic = uniqueTopic();
    const bus = busWith({ sasl: { mechanism: 'plain', ...kafka.user } });
    try {
      await bus.start();
      await bus.publish(topic, await append(env.db, [counted('run-plain')]));
    } finally {
      await bus.stop();
    }
  });

  it('fails to start at once, saying authentication failed, with a wrong password (no waiting out the ready timeout)', async () => {
    const wrong = `wrong-${kafka.user.password}`;
    const logged = capturingLogger();
    const bus = busWith({
      sasl: { mechanism: 'scram-sha-256', username: kafka.user.username, password: wrong },
      readyTimeoutMs: 60_000,
      logger: logged.logger,
    });
    const startedAt = Date.now();
    try {
      await expect(bus.start()).rejects.toThrow(/SASL SCRAM SHA256 authentication failed/);
      expect(Date.now() - startedAt).toBeLessThan(10_000);
    } finally {
      await bus.stop();
    }
    expect(logged.lines.some((line) => line.includes('authentication failed'))).toBe(true);
    expect(logged.lines.filter((line) => line.includes(wrong))).toEqual([]);
  });

  it("fails to start, naming the certificate problem, when the broker's certificate is not trusted", async () => {
    const bus = busWith({ tls: {}, readyTimeoutMs: 60_000 });
    const startedAt = Date.now();
    try {
      await expect(bus.start()).rejects.toThrow(/self[- ]signed certificate/);
      // kafkajs retries a connection error itself for a while; the ready timeout (60 s) is not waited out.
      expect(Date.now() - startedAt).toBeLessThan(30_000);
    } finally {
      await bus.stop();
    }
  });

  it('declares topics with their partitions and retention over the secured listener, and reports drift on the next run', async () => {
    const topics = [uniqueTopic(), uniqueTopic()];
    const connection = {
      brokers: [kafka.brokers],
      clientId: unique('declare'),
      tls: { ca: [ca] },
      sasl: { mechanism: 'scram-sha-256' as const, ...kafka.user },
    };
    const spec = { partitions: 4, retentionMs: 3_600_000 };
    expect(await declareKafkaTopics({ connection, topics, spec })).toEqual(topics.map((topic) => ({ topic, outcome: 'created', drift: [] })));
    expect(await declareKafkaTopics({ connection, topics, spec: { partitions: 6, retentionMs: 60_000 } })).toEqual(
      topics.map((topic) => ({ topic, outcome: 'existed', drift: ['4 partitions, declared 6', 'retention.ms 3600000, declared 60000'] })),
    );
  });
});

/** Every log line, at every level, as the text a log pipeline would store. */
function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const capture = (fields: Record<string, unknown>, message: string) => void lines.push(`${message} ${JSON.stringify(fields)}`);
  return { lines, logger: { debug: capture, info: capture, warn: capture, error: capture } };
}
