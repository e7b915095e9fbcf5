import { Database } from '@cairn/platform';
import { createTestDatabase, type TestDatabase } from '@cairn/testing';
import { exportEvents } from './event-export';

describe('event export on real Postgres', () => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: true });
    db = new Database(testDb.url, { max: 4 });
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  const append = (aggregateId: string) =>
    db.query(
      `INSERT INTO tracking.events (event_id, type, aggregate_id, aggregate_version, occurred_at, actor, data)
       VALUES (gen_random_uuid(), 'test.thing.set.v1', $1, 1, now(), 'test', '{}'::jsonb)`,
      [aggregateId],
    );
  const positions = async () => (await db.query<{ p: string }>('SELECT global_position AS p FROM tracking.events ORDER BY 1')).rows.map((r) => Number(r.p));

  it('is a snapshot: events appended while it is read (batch by batch) are not in it', async () => {
    for (const id of ['e1', 'e2', 'e3']) await append(id);
    const before = await positions();
    const exported: number[] = [];
    for await (const { position } of exportEvents(db, { contexts: ['tracking'], batchSize: 1 })) {
      exported.push(position);
      if (exported.length === 1) await append('during');
    }
    expect(exported).toEqual(before);
    expect((await positions()).length).toBe(before.length + 1);
  });

  it('gives its connection back when the reader stops early', async () => {
    for (let i = 0; i < 4; i++) {
      for await (const event of exportEvents(db, { contexts: ['tracking'], batchSize: 1 })) {
        expect(event.position).toBeGreaterThan(0);
        break;
      }
    }
    // The pool has 4 connections: an export that kept its transaction would leave none for this.
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});
