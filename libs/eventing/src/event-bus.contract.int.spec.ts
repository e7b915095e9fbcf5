/**
 * The EventBus contract, run against both adapters with the same relay, outbox and inbox:
 * per-key order, idempotent redelivery, a relay crash between publish and mark-sent, a consumer
 * restart mid-stream, and poison events. Real Postgres (a database of this file's own) and, for
 * the Kafka adapter, a real broker; every test has its own topic and consumer names.
 */
import type { EventEnvelope } from '@cairn/contracts';
import { NonRetriableError } from './errors';
import type { EventBus, EventHandler, SubscriptionHandle } from './event-bus';
import { OutboxRelay } from './outbox-relay';
import {
  append,
  appendInterleaved,
  appliedCount,
  appliedRows,
  counted,
  counterProjection,
  counters,
  createEventingTestDatabase,
  deferred,
  inProcessFixture,
  kafkaFixture,
  OutcomeCounter,
  store,
  testLogger,
  unique,
  uniqueTopic,
  unsentCount,
  versionsByAggregate,
  waitFor,
  type EventingTestDatabase,
} from './testing/eventing-test-support';

jest.setTimeout(120_000);

describe.each([inProcessFixture, kafkaFixture])('EventBus contract: $name', (fixture) => {
  let env: EventingTestDatabase;
  let bus: EventBus;
  let topic: string;
  const relays: OutboxRelay[] = [];
  const handles: SubscriptionHandle[] = [];

  beforeAll(async () => {
    env = await createEventingTestDatabase();
  });
  afterAll(async () => {
    await env.close();
  });

  beforeEach(async () => {
    await env.reset();
    topic = uniqueTopic();
    bus = fixture.create(env.db);
    await bus.start();
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    await Promise.all(handles.splice(0).map((handle) => handle.stop()));
    await bus.stop();
  });

  function startRelay(hooks?: ConstructorParameters<typeof OutboxRelay>[0]['hooks']): OutboxRelay {
    const relay = new OutboxRelay({
      database: env.db,
      context: 'tracking',
      publisher: bus,
      topic,
      pollIntervalMs: 100,
      standbyIntervalMs: 50,
      batchSize: 16,
      errorBackoff: { initialDelayMs: 50, maxDelayMs: 200 },
      logger: testLogger,
      hooks,
    });
    relays.push(relay);
    void relay.start();
    return relay;
  }

  async function subscribe(consumer: string, outcomes: OutcomeCounter, handler: EventHandler = counterProjection(consumer)): Promise<SubscriptionHandle> {
    const handle = await bus.subscribe({
      consumer,
      context: 'registry',
      topics: [topic],
      handler,
      retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 50 },
      onOutcome: outcomes.onOutcome,
    });
    handles.push(handle);
    return handle;
  }

  const waitForApplied = (consumer: string, n: number) =>
    waitFor(async () => ((await appliedCount(env.db, consumer)) >= n ? true : undefined), { timeoutMs: 60_000, message: `${n} events applied by ${consumer}` });

  it('answers a readiness ping once started', async () => {
    await expect(bus.ping()).resolves.toBeUndefined();
  });

  it('delivers each aggregate’s events in version order, across many interleaved aggregates', async () => {
    const consumer = unique('ordering');
    const outcomes = new OutcomeCounter();
    await subscribe(consumer, outcomes);
    startRelay();
    const aggregates = Array.from({ length: 12 }, (_, i) => `run-${i}`);

    const appended = await appendInterleaved(env.db, aggregates, 30);

    expect(appended).toHaveLength(360);
    await waitForApplied(consumer, 360);
    const rows = await appliedRows(env.db, consumer);
    expect(rows).toHaveLength(360);
    const expected = Object.fromEntries(aggregates.map((a) => [a, Array.from({ length: 30 }, (_, i) => i + 1)]));
    expect(versionsByAggregate(rows)).toEqual(expected);
    expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(appended.map((e) => e.eventId)));
  });

  it('leaves read models unchanged when every event is delivered twice more', async () => {
    const consumer = unique('redelivery');
    const outcomes = new OutcomeCounter();
    await subscribe(consumer, outcomes);
    startRelay();
    await appendInterleaved(env.db, ['model-a', 'model-b', 'model-c', 'model-d', 'model-e'], 8);
    await waitForApplied(consumer, 40);
    const before = await counters(env.db, consumer);
    const envelopes = (await store.readAll(env.db, 'tracking', 0, 1_000)).map((stored) => stored.envelope);
    expect(envelopes).toHaveLength(40);

    await bus.publish(topic, envelopes);
    await bus.publish(topic, envelopes);

    await outcomes.reach('duplicate', 80);
    expect(outcomes.counts).toEqual({ applied: 40, skipped: 0, duplicate: 80, dead_lettered: 0 });
    expect(await counters(env.db, consumer)).toEqual(before);
    expect(await appliedCount(env.db, consumer)).toBe(40);
  });

  it('loses nothing and applies nothing twice when the relay dies between publish and mark-sent', async () => {
    const consumer = unique('relay-crash');
    const outcomes = new OutcomeCounter();
    await subscribe(consumer, outcomes);
    const appended = await appendInterleaved(env.db, ['exp-1', 'exp-2', 'exp-3'], 10);
    const crashed = deferred<readonly EventEnvelope[]>();
    const doomed = startRelay({
      beforeDeletePublished: (envelopes) => {
        crashed.resolve(envelopes);
        throw new Error('simulated crash after publish, before mark-sent');
      },
    });

    const published = await crashed.promise;
    await doomed.stop();
    expect(published.length).toBeGreaterThan(0);
    expect(await unsentCount(env.db)).toBe(30); // nothing was marked sent
    startRelay(); // a new relay (say, after a restart) takes over the lock and the backlog

    await waitFor(async () => ((await unsentCount(env.db)) === 0 ? true : undefined), { timeoutMs: 60_000, message: 'outbox drained' });
    await waitForApplied(consumer, 30);
    // Every event the crashed relay had published comes again and is recognised as a duplicate.
    await outcomes.reach('duplicate', published.length);
    const rows = await appliedRows(env.db, consumer);
    expect(rows).toHaveLength(30);
    expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(appended.map((e) => e.eventId)));
    expect(versionsByAggregate(rows)).toEqual({ 'exp-1': range(10), 'exp-2': range(10), 'exp-3': range(10) });
  });

  it('resumes a consumer restarted mid-stream where it stopped, applying each event once', async () => {
    const consumer = unique('restart');
    const outcomes = new OutcomeCounter();
    const N = 60;
    const K = 20;
    // Once K events are applied, hold further applies until the test has begun stopping the consumer.
    const gate = deferred();
    let handled = 0;
    const projection = counterProjection(consumer);
    const handle = await subscribe(consumer, outcomes, async (event, tx, delivery) => {
      if (handled >= K) await gate.promise;
      await projection(event, tx, delivery);
      handled++;
    });
    startRelay();
    await appendInterleaved(env.db, ['run-a', 'run-b', 'run-c', 'run-d'], N / 4);
    await waitForApplied(consumer, K);

    const stopping = handle.stop();
    gate.resolve();
    await stopping;
    const appliedBeforeRestart = await appliedCount(env.db, consumer);
    expect(appliedBeforeRestart).toBeGreaterThanOrEqual(K);
    expect(appliedBeforeRestart).toBeLessThan(N);

    await subscribe(consumer, outcomes);
    await waitForApplied(consumer, N);

    const rows = await appliedRows(env.db, consumer);
    expect(rows).toHaveLength(N);
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(N);
    expect(versionsByAggregate(rows)).toEqual({ 'run-a': range(15), 'run-b': range(15), 'run-c': range(15), 'run-d': range(15) });
  });

  it('dead-letters an event it cannot apply, with the reason, and goes on with the events after it', async () => {
    const consumer = unique('poison');
    const outcomes = new OutcomeCounter();
    const attemptsOfFlaky: number[] = [];
    const projection = counterProjection(consumer);
    await subscribe(consumer, outcomes, async (event, tx, delivery) => {
      const poison = (event.data as { poison?: string }).poison;
      if (poison === 'non-retriable') throw new NonRetriableError('model version 3 references an unknown run');
      if (poison === 'always-fails') throw new Error('downstream keeps timing out');
      if (poison === 'flaky') {
        attemptsOfFlaky.push(delivery.attempt);
        if (delivery.attempt < 3) throw new Error('transient');
      }
      await projection(event, tx, delivery);
    });
    startRelay();
    const [a, b, c] = await Promise.all([
      append(env.db, [counted('agg-a'), counted('agg-a'), counted('agg-a', { poison: 'non-retriable' }), counted('agg-a'), counted('agg-a'), counted('agg-a')]),
      append(env.db, [counted('agg-b'), counted('agg-b', { poison: 'always-fails' }), counted('agg-b')]),
      append(env.db, [counted('agg-c', { poison: 'flaky' }), counted('agg-c')]),
    ]);
    // And a message no consumer could parse (a producer on another contract, say).
    const malformed = { ...c[1], eventId: '0190a6e4-8c3a-7b2e-9f1d-3c4b5a697887', type: 'NotVersioned', aggregateVersion: 3 };
    await bus.publish(topic, [malformed]);

    await waitForApplied(consumer, 9);
    await outcomes.reach('dead_lettered', 3);

    const rows = await appliedRows(env.db, consumer);
    expect(versionsByAggregate(rows)).toEqual({ 'agg-a': [1, 2, 4, 5, 6], 'agg-b': [1, 3], 'agg-c': [1, 2] });
    expect(attemptsOfFlaky).toEqual([1, 2, 3]);
    const { rows: dead } = await env.db.query<{ event_id: string; event_type: string; reason: string; attempts: number; envelope: { aggregateId: string } }>(
      'SELECT event_id, event_type, reason, attempts, envelope FROM registry.dead_letters WHERE consumer = $1 ORDER BY event_id',
      [consumer],
    );
    expect(dead).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          event_id: a[2].eventId,
          event_type: a[2].type,
          attempts: 1,
          reason: 'NonRetriableError: model version 3 references an unknown run',
        }),
        expect.objectContaining({ event_id: b[1].eventId, attempts: 3, reason: 'Error: downstream keeps timing out' }),
        expect.objectContaining({
          event_id: malformed.eventId,
          event_type: 'NotVersioned',
          attempts: 1,
          reason: expect.stringContaining('type: event type must look like'),
        }),
      ]),
    );
    expect(dead).toHaveLength(3);
    expect(dead.find((d) => d.event_id === a[2].eventId)?.envelope.aggregateId).toBe('agg-a');

    // A redelivered poison event is not dead-lettered twice.
    await bus.publish(topic, [a[2]]);
    await outcomes.reach('duplicate', 1);
    expect(outcomes.counts.dead_lettered).toBe(3);
  });
});

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
