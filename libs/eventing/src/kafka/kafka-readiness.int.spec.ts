/**
 * Start-up on a Kafka that is not ready yet, against the real broker: topics created a moment ago
 * ("This server does not host this topic-partition" until their metadata reaches the broker), a
 * topic that appears only later, a broker that is not listening yet. None of these may fail a start
 * before its deadline; past the deadline the error says what was awaited.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { testEndpoints } from '@cairn/testing';
import { Kafka, logLevel } from 'kafkajs';
import type { Logger } from '../logger';
import { KafkaEventBus } from './kafka-event-bus';
import { KafkaNotReadyError, waitForTopicLeaders } from './kafka-readiness';
import {
  append,
  counted,
  counterProjection,
  createEventingTestDatabase,
  OutcomeCounter,
  unique,
  type EventingTestDatabase,
} from '../testing/eventing-test-support';

jest.setTimeout(180_000);

const brokers = testEndpoints.kafkaBrokers().split(',');

/** A logger that keeps the "waiting for Kafka" lines, to show that a wait happened and was said. */
function recordingLogger(): Logger & { waits: string[] } {
  const waits: string[] = [];
  const ignore = () => undefined;
  return {
    waits,
    debug: ignore,
    warn: ignore,
    error: ignore,
    info: (_fields, message) => void (message.startsWith('waiting for Kafka') && waits.push(message)),
  };
}

describe('Kafka readiness at start-up', () => {
  let env: EventingTestDatabase;
  const kafka = new Kafka({ clientId: 'readiness-test', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();

  beforeAll(async () => {
    env = await createEventingTestDatabase();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
    await env.close();
  });

  it('buses started together on brand-new topics subscribe and publish at once, round after round, without a failure', async () => {
    const failures: string[] = [];
    for (let round = 0; round < 20; round++) {
      // What four services do on a fresh install: each creates every topic at start, then subscribes.
      const prefix = `cairn.readiness.${randomBytes(4).toString('hex')}.`;
      const topics = ['tracking', 'artifacts', 'registry', 'webhooks'].map((context) => `${prefix}${context}.v1`);
      const buses = [0, 1, 2].map(
        (i) =>
          new KafkaEventBus({
            brokers,
            clientId: unique(`readiness-${i}`),
            database: env.db,
            topics,
            consumer: { maxWaitTimeInMs: 250, sessionTimeout: 10_000, heartbeatInterval: 1_000 },
          }),
      );
      try {
        const outcomes = buses.map(() => new OutcomeCounter());
        const consumers = buses.map(() => unique(`round-${round}`));
        await Promise.all(
          buses.map(async (bus, i) => {
            await bus.start();
            const consumer = consumers[i] as string;
            const topic = topics[i] as string;
            await bus.subscribe({ consumer, context: 'registry', topics: [topic], handler: counterProjection(consumer), onOutcome: outcomes[i]?.onOutcome });
            await bus.publish(topics[(i + 1) % 3] as string, await append(env.db, [counted(`round-${round}-${i}`)]));
          }),
        );
        await Promise.all(outcomes.map((outcome) => outcome.reach('applied', 1)));
      } catch (error) {
        failures.push(`round ${round}: ${(error as Error).message}`);
      } finally {
        await Promise.allSettled(buses.map((bus) => bus.stop()));
      }
    }
    expect(failures).toEqual([]);
  });

  it('waits for a topic that appears only seconds later, saying so, then resolves', async () => {
    const topic = `cairn.readiness.late.${randomBytes(4).toString('hex')}.v1`;
    const logger = recordingLogger();
    const created = new Promise<void>((resolve, reject) =>
      setTimeout(() => admin.createTopics({ topics: [{ topic, numPartitions: 3 }] }).then(() => resolve(), reject), 3_000),
    );
    const startedAt = Date.now();
    await waitForTopicLeaders(admin, topic, { deadline: Date.now() + 30_000, timeoutMs: 30_000, logger });
    await created;
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(3_000);
    expect(logger.waits.length).toBeGreaterThan(0);
    expect(logger.waits[0]).toBe(`waiting for Kafka: topic ${topic} to have a leader on every partition`);
  });

  it('fails after its deadline with an error naming the topic it waited for, when the topic never appears', async () => {
    const topic = `cairn.readiness.never.${randomBytes(4).toString('hex')}.v1`;
    const startedAt = Date.now();
    const waiting = waitForTopicLeaders(admin, topic, { deadline: Date.now() + 2_000, timeoutMs: 2_000, logger: recordingLogger() });
    await expect(waiting).rejects.toThrow(KafkaNotReadyError);
    await expect(waiting).rejects.toThrow(`Kafka not ready after 2000 ms: topic ${topic} to have a leader on every partition`);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2_000);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  it('a bus started before its broker listens waits for it, then publishes and consumes', async () => {
    // The bootstrap address answers only after 12 s (a broker still starting), longer than kafkajs's
    // own connection retries last; kafkajs then talks to the broker it advertises.
    const late = await delayedProxy(brokers[0] as string, 12_000);
    const logger = recordingLogger();
    const topic = `cairn.readiness.proxied.${randomBytes(4).toString('hex')}.v1`;
    const bus = new KafkaEventBus({
      brokers: [late.address],
      clientId: unique('late-broker'),
      database: env.db,
      logger,
      topics: [topic],
      consumer: { maxWaitTimeInMs: 250 },
    });
    try {
      await bus.start();
      expect(logger.waits[0]).toBe('waiting for Kafka: the brokers to accept an admin connection');
      const consumer = unique('late-broker');
      const outcomes = new OutcomeCounter();
      await bus.subscribe({ consumer, context: 'registry', topics: [topic], handler: counterProjection(consumer), onOutcome: outcomes.onOutcome });
      await bus.publish(topic, await append(env.db, [counted('late-1')]));
      await outcomes.reach('applied', 1);
    } finally {
      await bus.stop();
      await late.close();
    }
  });

  it('a bus whose broker never answers fails to start after its deadline, saying what it waited for', async () => {
    const nobody = await delayedProxy(brokers[0] as string, 3_600_000);
    const bus = new KafkaEventBus({ brokers: [nobody.address], clientId: unique('no-broker'), database: env.db, readyTimeoutMs: 3_000 });
    const startedAt = Date.now();
    try {
      await expect(bus.start()).rejects.toThrow(/^Kafka not ready after 3000 ms: the brokers to accept an admin connection/);
      // The deadline is checked between attempts; one attempt lasts as long as kafkajs's own retries.
      expect(Date.now() - startedAt).toBeLessThan(20_000);
    } finally {
      await bus.stop();
      await nobody.close();
    }
  });
});

/** A TCP forwarder to `target` on a port that accepts connections only after `delayMs` (refused before). */
async function delayedProxy(target: string, delayMs: number): Promise<{ address: string; close(): Promise<void> }> {
  const [host, port] = target.split(':') as [string, string];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  // Reserve a free port, release it, and listen on it again once the delay is over.
  const free = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: chosen } = probe.address() as { port: number };
      probe.close(() => resolve(chosen));
    });
  });
  const timer = setTimeout(() => server.listen(free, '127.0.0.1'), delayMs);
  return {
    address: `127.0.0.1:${free}`,
    close: async () => {
      clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
