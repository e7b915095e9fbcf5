import type { EventMetadata } from '@cairn/contracts';
import { EventStore, systemClock, verifyReadModel } from '@cairn/eventing';
import { Database } from '@cairn/platform';
import { createTestDatabase, type TestDatabase } from '@cairn/testing';
import { TrackingCommands } from './application/tracking-commands';
import { TrackingQueries } from './application/tracking-queries';
import { compactSeries, MetricChunkCompaction } from './infra/metric-compaction';
import { trackingReadModelCheck } from './infra/read-model-rebuild';
import { TrackingStore } from './infra/tracking-store';

const meta: EventMetadata = { actor: 'test', correlationId: null, causationId: null };

/** ADR 0016: one-point chunks from log-metric are merged in the background; nobody reading history can tell. */
describe('metric chunk compaction on real Postgres', () => {
  let testDb: TestDatabase;
  let db: Database;
  let commands: TrackingCommands;
  let queries: TrackingQueries;
  let experimentId: string;

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: true });
    db = new Database(testDb.url, { max: 20 });
    const store = new TrackingStore(db);
    commands = new TrackingCommands(db, store, new EventStore(), systemClock);
    queries = new TrackingQueries(db, store);
    experimentId = await commands.createExperiment({ name: 'compaction', tags: [] }, meta);
  }, 60_000);

  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  const newRun = () => commands.createRun({ experimentId, userId: 'u', startTime: Date.now(), tags: [] }, meta);
  /** A point as log-metric sends it: one request, one chunk. */
  const logOne = (
    runId: string,
    key: string,
    step: number,
    value: number | 'NaN',
    extra: { timestamp?: number; datasetName?: string; datasetDigest?: string } = {},
  ) => commands.logBatch(runId, { metrics: [{ key, value, step, timestamp: extra.timestamp ?? 1000 + step, ...extra }], params: [], tags: [] }, meta);

  const streamed = async (runId: string, key: string, chunkSize = 20_000, between?: () => Promise<void>) => {
    const points: unknown[] = [];
    let first = true;
    for await (const piece of queries.metricHistoryJsonChunks(runId, key, chunkSize)) {
      points.push(...(JSON.parse(`[${piece}]`) as unknown[]));
      if (first && between) await between();
      first = false;
    }
    return points;
  };
  const paged = async (runId: string, key: string, pageSize: number) => {
    const points: unknown[] = [];
    let token: string | undefined;
    do {
      const page = await queries.metricHistoryPage(runId, key, pageSize, token);
      points.push(...page.items);
      token = page.nextPageToken;
    } while (token !== undefined);
    return points;
  };
  const chunksOf = async (runId: string, key: string) =>
    (
      await db.query<{ points: number }>('SELECT points FROM tracking.metric_chunks WHERE run_uuid = $1 AND key = $2 ORDER BY min_step, chunk_id', [runId, key])
    ).rows.map((r) => r.points);
  const compactAll = async () => {
    const compaction = new MetricChunkCompaction(db, 50);
    for (let pass = 0; pass < 100 && (await compaction.pass()).more; pass++);
  };

  it('merges a series logged point by point into chunks of 200, and every history read is what it was', async () => {
    const runId = await newRun();
    for (let step = 0; step < 450; step++) {
      const extra = step % 50 === 7 ? { datasetName: 'eval', datasetDigest: 'd1' } : {};
      await logOne(runId, 'loss', step, step % 97 === 5 ? 'NaN' : step / 7, extra);
    }
    // Two points at one step and time (chunks that overlap): merged, they keep the order they were logged in.
    await logOne(runId, 'loss', 450, 1, { timestamp: 5 });
    await logOne(runId, 'loss', 450, 0, { timestamp: 5 });
    await commands.logBatch(
      runId,
      { metrics: Array.from({ length: 300 }, (_, i) => ({ key: 'acc', value: i, step: i, timestamp: 1 })), params: [], tags: [] },
      meta,
    );

    const before = {
      full: await streamed(runId, 'loss'),
      paged: await paged(runId, 'loss', 37),
      sampled: await queries.metricHistoryBulkInterval({ runIds: [runId], key: 'loss', maxResults: 25 }),
      acc: await chunksOf(runId, 'acc'),
    };
    expect(before.full).toHaveLength(452);
    expect(await chunksOf(runId, 'loss')).toHaveLength(452);

    await compactAll();

    expect(await chunksOf(runId, 'loss')).toEqual([200, 200, 52]);
    expect(await chunksOf(runId, 'acc')).toEqual(before.acc); // big chunks are left alone
    expect(await streamed(runId, 'loss')).toEqual(before.full);
    expect(await streamed(runId, 'loss', 150)).toEqual(before.full);
    expect(await paged(runId, 'loss', 37)).toEqual(before.paged);
    expect(await queries.metricHistoryBulkInterval({ runIds: [runId], key: 'loss', maxResults: 25 })).toEqual(before.sampled);
    // Points logged after a compaction are merged by the next one.
    for (let step = 451; step < 460; step++) await logOne(runId, 'loss', step, step);
    await compactAll();
    expect(await chunksOf(runId, 'loss')).toEqual([200, 200, 52, 9]);
    expect(await streamed(runId, 'loss')).toHaveLength(461);
  }, 60_000);

  it('appends that race a compaction of their series are all kept, in order', async () => {
    const runId = await newRun();
    for (let step = 0; step < 100; step++) await logOne(runId, 'lr', step, step);
    let stop = false;
    const compacting = (async () => {
      while (!stop) await compactSeries(db, runId, 'lr', 2);
    })();
    const writers = [0, 1, 2, 3].map(async (w) => {
      for (let i = 0; i < 40; i++) await logOne(runId, 'lr', 100 + w * 40 + i, w);
    });
    await Promise.all(writers);
    stop = true;
    await compacting;
    await compactAll();
    const steps = (await streamed(runId, 'lr')).map((p) => (p as { step: number }).step);
    expect(steps).toEqual(Array.from({ length: 260 }, (_, i) => i));
    expect((await chunksOf(runId, 'lr')).length).toBeLessThan(10);
  }, 60_000);

  it('a full-history stream that a compaction overtakes sends every point once', async () => {
    const runId = await newRun();
    for (let step = 0; step < 60; step++) await logOne(runId, 'm', step, step * 2);
    const expected = await streamed(runId, 'm');
    // One chunk per read: the stream's cursor sits inside the run of chunks being merged.
    const raced = await streamed(runId, 'm', 1, compactAll);
    expect(await chunksOf(runId, 'm')).toEqual([60]);
    expect(raced).toEqual(expected);
  }, 60_000);

  it('verify finds a compacted read model equal to a rebuild (points, not chunk rows), and still finds a changed point', async () => {
    const runId = await newRun();
    for (let step = 0; step < 60; step++) await logOne(runId, 'acc', step, step % 13 === 4 ? 'NaN' : step / 3);
    await logOne(runId, 'acc', 10, 7, { timestamp: 1010 }); // a tie with step 10's point, logged after it
    const before = await chunksOf(runId, 'acc');
    await compactAll();
    expect((await chunksOf(runId, 'acc')).length).toBeLessThan(before.length);

    const report = await verifyReadModel(db, trackingReadModelCheck());
    expect(report.differences).toEqual([]);

    await db.query(`UPDATE tracking.metric_chunks SET metric_values[2] = 42 WHERE run_uuid = $1 AND key = 'acc' AND points > 1`, [runId]);
    const changed = await verifyReadModel(db, trackingReadModelCheck());
    expect(changed.differences.map((d) => [d.table, d.projectionOnlyCount, d.rebuildOnlyCount])).toEqual([['tracking.metric_chunks', 1, 1]]);
  }, 60_000);
});
