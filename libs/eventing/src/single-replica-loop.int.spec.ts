import { SingleReplicaLoop, type SingleReplicaLoopOptions } from './single-replica-loop';
import { createEventingTestDatabase, waitFor, type EventingTestDatabase } from './testing/eventing-test-support';

describe('SingleReplicaLoop', () => {
  let env: EventingTestDatabase;
  const loops: SingleReplicaLoop[] = [];

  beforeAll(async () => {
    env = await createEventingTestDatabase();
  });
  afterAll(async () => {
    await env.close();
  });
  afterEach(async () => {
    await Promise.all(loops.splice(0).map((l) => l.stop()));
  });

  /** A replica counting its rounds and errors; every test's replicas contend for the same lock. */
  function replica(options: Partial<SingleReplicaLoopOptions> = {}) {
    const state = { rounds: 0, errors: [] as unknown[] };
    const loop = new SingleReplicaLoop({
      database: env.db,
      name: 'test job',
      lock: { namespace: 0x7e57, key: 1 },
      standbyIntervalMs: 20,
      round: async () => {
        state.rounds++;
        return 20;
      },
      onError: (error) => state.errors.push(error),
      ...options,
    });
    loops.push(loop);
    loop.start();
    return { loop, state };
  }

  it('runs the rounds on one replica only; another takes over when the leader stops', async () => {
    const a = replica();
    await waitFor(() => (a.loop.isLeader ? true : undefined), { message: 'a leader' });
    const b = replica();
    await waitFor(() => (a.state.rounds >= 6 ? true : undefined), { message: 'six rounds' });
    expect(b.loop.isLeader).toBe(false);
    expect(b.state.rounds).toBe(0);

    await a.loop.stop();
    await waitFor(() => (b.state.rounds > 0 ? true : undefined), { message: 'the standby taking over' });
    expect(b.loop.isLeader).toBe(true);
  });

  it('hands over when the leader’s session dies, and the dead leader says why', async () => {
    // The rounds never touch the session, so only the confirming round trip can notice it died.
    const a = replica({ confirmBeforeRound: true, retryDelayMs: () => 20_000 });
    await waitFor(() => (a.loop.isLeader ? true : undefined), { message: 'a leader' });
    const b = replica();

    const { rows } = await env.db.query<{ killed: boolean }>(
      `SELECT pg_terminate_backend(pid) AS killed FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    expect(rows).toEqual([{ killed: true }]);
    await waitFor(() => (b.loop.isLeader ? true : undefined), { message: 'the standby to lead' });
    expect(a.loop.isLeader).toBe(false);
    expect(a.state.errors).toHaveLength(1);
  });

  it('gives up the lock when a round throws, and tries again after the retry delay', async () => {
    let failing = true;
    const a = replica({
      retryDelayMs: (failures) => failures * 10,
      round: async () => {
        if (failing) throw new Error('round failed');
        return 20;
      },
    });
    await waitFor(() => (a.state.errors.length >= 3 ? true : undefined), { message: 'three failed sessions' });
    expect(a.state.errors.every((e) => (e as Error).message === 'round failed')).toBe(true);

    failing = false;
    await waitFor(() => (a.loop.isLeader ? true : undefined), { message: 'leading again' });
  });
});
