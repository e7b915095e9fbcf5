import type { EventEnvelope } from '@cairn/contracts';
import type { EventPublisher } from './event-bus';
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay';
import { append, counted, createEventingTestDatabase, testLogger, unsentCount, waitFor, type EventingTestDatabase } from './testing/eventing-test-support';

/** Records what reaches the bus; can be told to fail. */
class RecordingPublisher implements EventPublisher {
  readonly batches: Array<{ topic: string; envelopes: readonly EventEnvelope[] }> = [];
  failing = false;

  async publish(topic: string, envelopes: readonly EventEnvelope[]): Promise<void> {
    if (this.failing) throw new Error('broker unavailable');
    this.batches.push({ topic, envelopes });
  }

  get events(): EventEnvelope[] {
    return this.batches.flatMap((b) => b.envelopes);
  }
}

describe('OutboxRelay', () => {
  let env: EventingTestDatabase;
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    env = await createEventingTestDatabase();
  });
  afterAll(async () => {
    await env.close();
  });
  beforeEach(async () => {
    await env.reset();
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
  });

  function relay(publisher: EventPublisher, options: Partial<OutboxRelayOptions> = {}): OutboxRelay {
    const r = new OutboxRelay({
      database: env.db,
      context: 'artifacts',
      publisher,
      pollIntervalMs: 100,
      standbyIntervalMs: 50,
      logger: testLogger,
      ...options,
    });
    relays.push(r);
    void r.start();
    return r;
  }

  const drained = () => waitFor(async () => ((await unsentCount(env.db, 'artifacts')) === 0 ? true : undefined), { message: 'outbox drained' });

  it('publishes the outbox in position order, in batches, to the context topic, then deletes the published rows', async () => {
    const publisher = new RecordingPublisher();
    const appended = await append(
      env.db,
      Array.from({ length: 25 }, (_, i) => counted(`blob-${i % 4}`)),
      'artifacts',
    );
    relay(publisher, { batchSize: 10 });

    await drained();
    expect(publisher.events).toEqual(appended);
    expect(publisher.batches.map((b) => b.envelopes.length)).toEqual([10, 10, 5]);
    expect(new Set(publisher.batches.map((b) => b.topic))).toEqual(new Set(['cairn.artifacts.events.v1']));
    // The outbox keeps only the backlog (so it never grows with history); the events stay.
    const { rows } = await env.db.query<{ outbox: string; events: string }>(
      'SELECT (SELECT count(*) FROM artifacts.outbox) AS outbox, (SELECT count(*) FROM artifacts.events) AS events',
    );
    expect(rows[0]).toEqual({ outbox: '0', events: '25' });
  });

  it('is woken by the commit (LISTEN/NOTIFY), not by polling', async () => {
    const publisher = new RecordingPublisher();
    const r = relay(publisher, { pollIntervalMs: 600_000 });
    await waitFor(() => (r.isLeader ? true : undefined), { message: 'leadership' });
    // Whatever woke it for this one, afterwards the relay sits in its ten-minute poll.
    await append(env.db, [counted('blob')], 'artifacts');
    await waitFor(() => (publisher.events.length === 1 ? true : undefined), { message: 'the first publish' });

    const [event] = await append(env.db, [counted('blob')], 'artifacts');
    await waitFor(() => (publisher.events.length === 2 ? true : undefined), { timeoutMs: 5_000, message: 'the notified publish' });
    expect(publisher.events[1]).toEqual(event);
  });

  it('keeps a batch whose publish failed and publishes it once the bus is back', async () => {
    const publisher = new RecordingPublisher();
    publisher.failing = true;
    const appended = await append(env.db, [counted('blob'), counted('blob')], 'artifacts');
    relay(publisher, { errorBackoff: { initialDelayMs: 20, maxDelayMs: 50 } });
    await waitFor(async () => ((await unsentCount(env.db, 'artifacts')) === 2 && relays[0].isLeader ? true : undefined), { message: 'a failing leader' });

    publisher.failing = false;
    await drained();
    expect(publisher.events).toEqual(appended);
  });

  it('lets one replica lead while the others stand by, and hands over when the leader stops', async () => {
    const first = new RecordingPublisher();
    const second = new RecordingPublisher();
    const a = relay(first);
    await waitFor(() => (a.isLeader ? true : undefined), { message: 'first leader' });
    const b = relay(second);
    await append(env.db, [counted('blob')], 'artifacts');
    await drained();
    expect(b.isLeader).toBe(false);
    expect(second.events).toEqual([]);

    await a.stop();
    await waitFor(() => (b.isLeader ? true : undefined), { message: 'second leader' });
    const later = await append(env.db, [counted('blob')], 'artifacts');
    await drained();
    expect(first.events).toHaveLength(1);
    expect(second.events).toEqual(later);
  });

  it('hands over when the leader’s database session dies (a crashed replica holds no lock)', async () => {
    const first = new RecordingPublisher();
    const second = new RecordingPublisher();
    // The dead leader backs off for long after losing its session, so the standby is the one to take over.
    const a = relay(first, { errorBackoff: { initialDelayMs: 20_000, maxDelayMs: 20_000 } });
    await waitFor(() => (a.isLeader ? true : undefined), { message: 'first leader' });
    const b = relay(second);

    // Kill the session holding the advisory lock, as a crashed pod's connection would vanish.
    const { rows } = await env.db.query<{ killed: boolean }>(
      `SELECT pg_terminate_backend(pid) AS killed FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    expect(rows).toEqual([{ killed: true }]);
    await waitFor(() => (b.isLeader ? true : undefined), { message: 'the standby to lead' });
    expect(a.isLeader).toBe(false);
    const appended = await append(env.db, [counted('blob'), counted('blob')], 'artifacts');
    await drained();
    expect(first.events).toEqual([]);
    expect(second.events).toEqual(appended);
  });
});
