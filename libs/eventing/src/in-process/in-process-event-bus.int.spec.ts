/** What is particular to the embedded bus, beyond the shared contract suite. */
import { SubscriberUnavailableError } from '../errors';
import { InProcessEventBus } from './in-process-event-bus';
import type { EventHandler } from '../event-bus';
import {
  append,
  appliedCount,
  appliedRows,
  counted,
  counterProjection,
  createEventingTestDatabase,
  deferred,
  OutcomeCounter,
  unique,
  type EventingTestDatabase,
} from '../testing/eventing-test-support';

describe('InProcessEventBus', () => {
  let env: EventingTestDatabase;
  let bus: InProcessEventBus;

  beforeAll(async () => {
    env = await createEventingTestDatabase();
  });
  afterAll(async () => {
    await env.close();
  });
  beforeEach(async () => {
    await env.reset();
    bus = new InProcessEventBus({ database: env.db });
  });
  afterEach(async () => {
    await bus.stop();
  });

  it('refuses to publish before start, so a relay cannot outrun the subscriptions', async () => {
    await expect(bus.publish('t', await append(env.db, [counted('a')]))).rejects.toThrow('not started');
    await expect(bus.ping()).rejects.toThrow('not started');
  });

  it('refuses a second running subscription under the same consumer name', async () => {
    await bus.subscribe({ consumer: 'c', context: 'registry', topics: ['t'], handler: async () => undefined });
    await expect(bus.subscribe({ consumer: 'c', context: 'registry', topics: ['t'], handler: async () => undefined })).rejects.toThrow('already running');
  });

  it('fails a publish while a registered consumer is stopped, after delivering to the running ones', async () => {
    await bus.start();
    const running = unique('running');
    const stopped = unique('stopped');
    await bus.subscribe({ consumer: running, context: 'registry', topics: ['t'], handler: counterProjection(running) });
    const handle = await bus.subscribe({ consumer: stopped, context: 'registry', topics: ['t'], handler: counterProjection(stopped) });
    await handle.stop();

    const events = await append(env.db, [counted('a'), counted('b')]);
    await expect(bus.publish('t', events)).rejects.toBeInstanceOf(SubscriberUnavailableError);
    expect(await appliedCount(env.db, running)).toBe(2);
    expect(await appliedCount(env.db, stopped)).toBe(0);

    await bus.subscribe({ consumer: stopped, context: 'registry', topics: ['t'], handler: counterProjection(stopped) });
    await bus.publish('t', events);
    expect(await appliedCount(env.db, running)).toBe(2);
    expect(await appliedCount(env.db, stopped)).toBe(2);
  });

  it('applies different aggregates concurrently: a slow one does not hold up the others', async () => {
    await bus.start();
    const consumer = unique('lanes');
    const outcomes = new OutcomeCounter();
    const release = deferred();
    const projection = counterProjection(consumer);
    await bus.subscribe({
      consumer,
      context: 'registry',
      topics: ['t'],
      onOutcome: outcomes.onOutcome,
      handler: async (event, tx, delivery) => {
        if (event.aggregateId === 'slow') await release.promise;
        await projection(event, tx, delivery);
      },
    });
    // Aggregate ids that hash onto different lanes than 'slow' (4 lanes by default).
    const events = await append(env.db, [counted('slow'), ...['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((id) => counted(id))]);
    const publishing = bus.publish('t', events);

    await outcomes.reach('applied', 4, 10_000);
    expect(await appliedCount(env.db, consumer)).toBeLessThan(9);
    release.resolve();
    await publishing;
    expect(await appliedCount(env.db, consumer)).toBe(9);
  });

  // ADR 0016: the inbox mark and the projection of an asynchronous consumer commit without waiting
  // for the WAL flush; a durable consumer's do. The handler's last statement runs with the COMMIT
  // and records the setting it commits under (in the aggregate_id column): off, or the server's own
  // (the shared test cluster runs with it off; a durable one with it on).
  it.each(['asynchronous', 'durable'] as const)('commits a %s consumer as ADR 0016 says', async (consumerCommit) => {
    const serverDefault = (await env.db.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0].synchronous_commit;
    const expected = consumerCommit === 'asynchronous' ? 'off' : serverDefault;
    await bus.stop();
    bus = new InProcessEventBus({ database: env.db, consumerCommit });
    await bus.start();
    const consumer = unique('commit');
    const recordSetting: EventHandler = async (event, tx) => {
      tx.atCommit({
        text: `INSERT INTO eventing_test.applied (consumer, event_id, aggregate_id, aggregate_version) VALUES ($1, $2, current_setting('synchronous_commit'), $3)`,
        values: [consumer, event.eventId, event.aggregateVersion],
      });
    };
    await bus.subscribe({ consumer, context: 'registry', topics: ['t'], handler: recordSetting });
    await bus.publish('t', await append(env.db, [counted('a'), counted('b')]));
    expect((await appliedRows(env.db, consumer)).map((row) => row.aggregate_id)).toEqual([expected, expected]);
  });

  // A subscription whose handler has effects outside Postgres (the artifacts context deletes blobs)
  // asks for durable commits on a bus that commits asynchronously. The handler sets the setting on
  // first, so the test tells the modes apart whatever the server's default.
  it.each([
    [false, 'off'],
    [true, 'on'],
  ])('on an asynchronous bus, a subscription with commitDurably %s commits with synchronous_commit %s', async (commitDurably, expected) => {
    await bus.stop();
    bus = new InProcessEventBus({ database: env.db, consumerCommit: 'asynchronous' });
    await bus.start();
    const consumer = unique('durable');
    const recordSetting: EventHandler = async (event, tx) => {
      await tx.query('SET LOCAL synchronous_commit TO on');
      tx.atCommit({
        text: `INSERT INTO eventing_test.applied (consumer, event_id, aggregate_id, aggregate_version) VALUES ($1, $2, current_setting('synchronous_commit'), $3)`,
        values: [consumer, event.eventId, event.aggregateVersion],
      });
    };
    await bus.subscribe({ consumer, context: 'registry', topics: ['t'], handler: recordSetting, commitDurably });
    await bus.publish('t', await append(env.db, [counted('a')]));
    expect((await appliedRows(env.db, consumer)).map((row) => row.aggregate_id)).toEqual([expected]);
  });
});
