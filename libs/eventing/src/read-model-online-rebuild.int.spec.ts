import { Database, type UnitOfWork } from '@cairn/platform';
import { createTestDatabase, type TestDatabase } from '@cairn/testing';
import { Client } from 'pg';
import { startOnlineRebuild } from './read-model-online-rebuild';
import type { ReadModelCheck } from './read-model-verify';

/**
 * ADR 0015: an event that commits late (a lower position than one the build already read) is applied
 * before a later event of its aggregate, so a last-write-wins projection does not end stale.
 */
describe('online read-model rebuild on real Postgres: order within an aggregate', () => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: true });
    db = new Database(testDb.url, { max: 10 });
    await db.query('CREATE TABLE tracking.rebuild_last_value (aggregate_id text PRIMARY KEY, value text NOT NULL)');
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  const APPEND = `INSERT INTO tracking.events (event_id, type, aggregate_id, aggregate_version, occurred_at, actor, data)
    VALUES (gen_random_uuid(), 'test.value.set.v1', $1, $2, now(), 'test', '{}'::jsonb) RETURNING global_position`;

  it('applies a late-committed event of an aggregate before the aggregate’s next event read in a later batch', async () => {
    let gate: Promise<void> | null = null;
    let reached: () => void = () => undefined;
    const atZ = new Promise<void>((resolve) => (reached = resolve));
    let release: () => void = () => undefined;
    gate = new Promise<void>((resolve) => (release = resolve));

    const check: ReadModelCheck = {
      context: 'tracking',
      tables: ['tracking.rebuild_last_value'],
      rebuild: () => Promise.resolve(),
      plan: (tx: UnitOfWork) => ({
        tables: ['tracking.rebuild_last_value'],
        replays: [
          {
            log: 'tracking',
            apply: async (envelope) => {
              if (envelope.aggregateId === 'z' && gate !== null) {
                reached();
                await gate;
              }
              await tx.query(`INSERT INTO tracking.rebuild_last_value VALUES ($1, $2) ON CONFLICT (aggregate_id) DO UPDATE SET value = excluded.value`, [
                envelope.aggregateId,
                `${envelope.aggregateId}${envelope.aggregateVersion}`,
              ]);
            },
          },
        ],
      }),
    };

    await db.query(APPEND, ['a', 1]);
    // A writer that drew its position and has not committed yet.
    const late = new Client({ connectionString: testDb.url });
    await late.connect();
    try {
      await late.query('BEGIN');
      await late.query(APPEND, ['y', 1]);
      await db.query(APPEND, ['z', 1]);

      // A batch per event: the build reads a, then z (y's position is a gap), and stops at z.
      const started = await startOnlineRebuild(db, check, { batchSize: 1 });
      await atZ;
      // While the build holds z's batch: y's first event commits, then y's second (after it, as the
      // stream version requires) is appended at a higher position.
      await late.query('COMMIT');
      await db.query(APPEND, ['y', 2]);
      release();
      gate = null;

      const done = await started.finished;
      expect(done).toMatchObject({
        state: 'succeeded',
        eventsApplied: Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM tracking.events')).rows[0].n),
      });
      const { rows } = await db.query<{ aggregate_id: string; value: string }>(
        `SELECT aggregate_id, value FROM tracking.rebuild_last_value WHERE aggregate_id IN ('a', 'y', 'z') ORDER BY aggregate_id`,
      );
      expect(rows).toEqual([
        { aggregate_id: 'a', value: 'a1' },
        { aggregate_id: 'y', value: 'y2' },
        { aggregate_id: 'z', value: 'z1' },
      ]);
    } finally {
      await late.end();
    }
  }, 60_000);
});
