import type { PoolClient } from 'pg';
import type { UnitOfWork } from '@cairn/platform';
import { ConcurrencyError } from './errors';
import { EventStore } from './event-store';
import { ManualClock } from './clock';
import { append, counted, createEventingTestDatabase, metadata, waitFor, type EventingTestDatabase } from './testing/eventing-test-support';

/** A hand-opened transaction on a pooled connection, as a unit of work (nothing is queued for commit here). */
const asUnitOfWork = (client: PoolClient): UnitOfWork =>
  Object.assign(client, {
    atCommit: () => {
      throw new Error('not used by these tests');
    },
  });

describe('EventStore (Postgres)', () => {
  let env: EventingTestDatabase;
  const clock = new ManualClock('2024-07-01T12:00:00.000Z');
  const store = new EventStore({ clock });

  beforeAll(async () => {
    env = await createEventingTestDatabase();
  });
  afterAll(async () => {
    await env.close();
  });
  beforeEach(async () => {
    await env.reset();
  });

  it('numbers each aggregate’s events from 1, continuing across appends, and queues every event in the outbox', async () => {
    const first = await env.db.transaction((tx) => store.append(tx, 'registry', [counted('m1'), counted('m2'), counted('m1')], metadata));
    const second = await env.db.transaction((tx) => store.append(tx, 'registry', [counted('m1')], metadata));

    expect(first.map((e) => [e.aggregateId, e.aggregateVersion])).toEqual([
      ['m1', 1],
      ['m2', 1],
      ['m1', 2],
    ]);
    expect(second.map((e) => [e.aggregateId, e.aggregateVersion])).toEqual([['m1', 3]]);
    const { rows } = await env.db.query<{ n: string }>('SELECT count(*) AS n FROM registry.outbox o JOIN registry.events e USING (global_position)');
    expect(Number(rows[0].n)).toBe(4);
  });

  it('reads back exactly what it returned: by stream, and in position order (= call order) overall', async () => {
    clock.advance(1_000);
    const appended = await env.db.transaction((tx) =>
      store.append(
        tx,
        'tracking',
        [counted('r1', { n: 1 }), counted('r2', { n: 2 }), counted('r1', { n: 3 }), counted('r3', { nested: { deep: [1, 'two', null] } })],
        {
          actor: 'bob',
          correlationId: 'req-42',
          causationId: 'evt-0',
        },
      ),
    );

    expect(await store.readStream(env.db, 'tracking', 'r1')).toEqual([appended[0], appended[2]]);
    expect(await store.readStream(env.db, 'tracking', 'r1', 1)).toEqual([appended[2]]);
    const all = await store.readAll(env.db, 'tracking', 0, 100);
    expect(all.map((s) => s.envelope)).toEqual(appended);
    expect(all.map((s) => s.position)).toEqual([...all.map((s) => s.position)].sort((x, y) => x - y));
    expect(await store.readAll(env.db, 'tracking', all[1].position, 2)).toEqual(all.slice(2, 4));
    expect(appended[0]).toMatchObject({
      occurredAt: '2024-07-01T12:00:01.000Z',
      actor: 'bob',
      correlationId: 'req-42',
      causationId: 'evt-0',
      context: 'tracking',
    });
  });

  it('enforces an expected version: 0 for a new aggregate, the current one afterwards, and nothing is stored on conflict', async () => {
    await env.db.transaction((tx) => store.append(tx, 'registry', [counted('model')], metadata, 0));
    await expect(env.db.transaction((tx) => store.append(tx, 'registry', [counted('model')], metadata, 0))).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(env.db.transaction((tx) => store.append(tx, 'registry', [counted('model')], metadata, 5))).rejects.toBeInstanceOf(ConcurrencyError);
    await env.db.transaction((tx) => store.append(tx, 'registry', [counted('model'), counted('model')], metadata, 1));
    await env.db.transaction((tx) => store.append(tx, 'registry', [counted('model'), counted('other')], metadata, { model: 3, other: 0 }));
    await expect(
      env.db.transaction((tx) => store.append(tx, 'registry', [counted('model'), counted('other')], metadata, { model: 4, other: 0 })),
    ).rejects.toBeInstanceOf(ConcurrencyError);

    expect((await store.readStream(env.db, 'registry', 'model')).map((e) => e.aggregateVersion)).toEqual([1, 2, 3, 4]);
    expect((await store.readStream(env.db, 'registry', 'other')).map((e) => e.aggregateVersion)).toEqual([1]);
  });

  it.each([
    ['both pass the version they decided from', 1],
    ['neither passes a version', undefined],
  ])('lets exactly one of two concurrent writers of an aggregate win when %s; the other gets a ConcurrencyError', async (_, expected) => {
    await append(env.db, [counted('run')]);
    const writers = await Promise.all([env.db.pool.connect(), env.db.pool.connect()]);
    try {
      const { rows } = await writers[1].query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await Promise.all(writers.map((w) => w.query('BEGIN')));
      await store.append(asUnitOfWork(writers[0]), 'tracking', [counted('run')], metadata, expected);
      const losing = store.append(asUnitOfWork(writers[1]), 'tracking', [counted('run')], metadata, expected);
      losing.catch(() => undefined);
      // The loser's insert of (run, 2) waits on the winner's uncommitted index entry.
      await waitFor(async () => ((await waitingOnLock(rows[0].pid)) ? true : undefined), { message: 'the second writer to block' });
      await writers[0].query('COMMIT');
      await expect(losing).rejects.toBeInstanceOf(ConcurrencyError);
      await writers[1].query('ROLLBACK');
    } finally {
      writers.forEach((w) => w.release());
    }
    expect((await store.readStream(env.db, 'tracking', 'run')).map((e) => e.aggregateVersion)).toEqual([1, 2]);
  });

  async function waitingOnLock(pid: number): Promise<boolean> {
    const { rows } = await env.db.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", [pid]);
    return Number(rows[0].n) === 1;
  }

  it('appends a thousand events in one statement', async () => {
    const events = Array.from({ length: 1_000 }, (_, i) => counted(`run-${i % 7}`, { i }));
    const appended = await append(env.db, events);
    expect(appended).toHaveLength(1_000);
    expect(appended.filter((e) => e.aggregateId === 'run-0').map((e) => e.aggregateVersion)).toEqual(Array.from({ length: 143 }, (_, i) => i + 1));
    const all = await store.readAll(env.db, 'tracking', 0, 2_000);
    expect(all.map((s) => (s.envelope.data as { i: number }).i)).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
  });

  it('keeps the log append-only', async () => {
    await append(env.db, [counted('run')]);
    await expect(env.db.query("UPDATE tracking.events SET actor = 'mallory'")).rejects.toThrow('tracking.events is append-only');
    await expect(env.db.query('DELETE FROM tracking.events')).rejects.toThrow('append-only');
  });
});
