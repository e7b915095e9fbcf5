import { Database, defaultMigrationsDirectory, migrate, readMigrations } from '@cairn/platform';
import { createTestDatabase, type TestDatabase } from '@cairn/testing';
import { TrackingQueries } from './application/tracking-queries';
import { TrackingStore } from './infra/tracking-store';

// 0011_metric_chunks moves every stored point from tracking.metrics (a row each) into chunks: a
// database upgraded with history in it must read back the same series, in the same order.
describe('migration 0011_metric_chunks on a database with history', () => {
  let db: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    const migrations = readMigrations(defaultMigrationsDirectory());
    await migrate(
      db.url,
      migrations.filter((m) => m.name < '0011'),
    );
    database = new Database(db.url, { max: 2 });
    // 450 points of one run and key (3 chunks after the upgrade), ties on (step, timestamp) in id
    // order, a NaN, a point with dataset fields; one point of another key; latest rows as 0010 kept them.
    await database.query(`
      INSERT INTO tracking.metrics (run_uuid, key, value, timestamp, step, is_nan, dataset_name, dataset_digest)
      SELECT 'r1', 'loss', CASE WHEN i = 7 THEN 0 ELSE 1000 - i END, 100 + i % 3, i / 2, i = 7,
             CASE WHEN i = 300 THEN 'train' END, CASE WHEN i = 300 THEN 'd1' END
      FROM generate_series(0, 449) AS i ORDER BY i DESC`);
    await database.query(`INSERT INTO tracking.metrics (run_uuid, key, value, timestamp, step) VALUES ('r1', 'acc', 0.5, 1, 3)`);
    await database.query(`
      INSERT INTO tracking.latest_metrics (run_uuid, key, value, timestamp, step, is_nan)
      VALUES ('r1', 'loss', 551, 101, 224, false), ('r1', 'acc', 0.5, 1, 3, false)`);
    await migrate(db.url, migrations);
  }, 60_000);

  afterAll(async () => {
    await database?.close();
    await db?.drop();
  });

  it('keeps every point, in (step, timestamp, logged) order, with its NaN and dataset fields', async () => {
    const queries = new TrackingQueries(database, new TrackingStore(database));
    const read: { step: number; timestamp: number; value: number; datasetName?: string }[] = [];
    let token: string | undefined;
    do {
      const page = await queries.metricHistoryPage('r1', 'loss', 100, token);
      read.push(...page.items.map((m) => ({ step: m.step, timestamp: m.timestamp, value: m.value, ...(m.datasetName ? { datasetName: m.datasetName } : {}) })));
      token = page.nextPageToken;
    } while (token);
    // Inserted in descending i, so the ids run against i: ties on (step, timestamp) come in descending i.
    const expected = Array.from({ length: 450 }, (_, i) => i)
      .sort((a, b) => Math.floor(a / 2) - Math.floor(b / 2) || (a % 3) - (b % 3) || b - a)
      .map((i) => ({
        step: Math.floor(i / 2),
        timestamp: 100 + (i % 3),
        value: i === 7 ? Number.NaN : 1000 - i,
        ...(i === 300 ? { datasetName: 'train' } : {}),
      }));
    expect(read).toEqual(expected);
    expect((await queries.metricHistoryPage('r1', 'acc', 10, undefined)).items.map((m) => m.value)).toEqual([0.5]);
    const { rows } = await database.query<{ key: string; chunks: number; points: number; span: string }>(
      `SELECT c.key, count(*)::int AS chunks, sum(c.points)::int AS points, l.max_chunk_span::text AS span
       FROM tracking.metric_chunks c JOIN tracking.latest_metrics l USING (run_uuid, key) GROUP BY c.key, l.max_chunk_span ORDER BY c.key`,
    );
    expect(rows).toEqual([
      { key: 'acc', chunks: 1, points: 1, span: '0' },
      { key: 'loss', chunks: 3, points: 450, span: '99' },
    ]);
    // Downsampling reads the converted chunks too.
    const window = await queries.metricHistoryBulkInterval({ runIds: ['r1'], key: 'loss', maxResults: 2500, startStep: 10, endStep: 11 });
    expect(window.map((p) => p.step)).toEqual([10, 10, 11, 11]);
  });
});
