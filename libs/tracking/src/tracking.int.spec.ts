import { READ_ALL, type EventMetadata } from '@cairn/contracts';
import { EventStore, systemClock } from '@cairn/eventing';
import { Database } from '@cairn/platform';
import { createTestDatabase, type TestDatabase, inRolledBackUnitOfWork } from '@cairn/testing';
import { TrackingCommands } from './application/tracking-commands';
import { TrackingQueries } from './application/tracking-queries';
import { rebuildTrackingReadModel } from './infra/read-model-rebuild';
import { TrackingStore } from './infra/tracking-store';

const meta: EventMetadata = { actor: 'test', correlationId: null, causationId: null };

describe('tracking on real Postgres', () => {
  let testDb: TestDatabase;
  let db: Database;
  let commands: TrackingCommands;
  let queries: TrackingQueries;
  let experimentId: string;

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: true });
    db = new Database(testDb.url, { max: 30 });
    const store = new TrackingStore(db);
    commands = new TrackingCommands(db, store, new EventStore(), systemClock);
    queries = new TrackingQueries(db, store);
    experimentId = await commands.createExperiment({ name: 'int', tags: [] }, meta);
  }, 60_000);

  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  const newRun = (startTime = Date.now()) => commands.createRun({ experimentId, userId: 'u', startTime, tags: [] }, meta);
  const point = (key: string, value: number | 'NaN' | 'Infinity' | '-Infinity', step: number, timestamp = 1000) => ({ key, value, timestamp, step });

  it('the Default experiment 0 exists from the start', async () => {
    expect(await queries.experiment('0')).toMatchObject({ name: 'Default', lifecycleStage: 'active', artifactLocation: 'mlflow-artifacts:/0' });
    const { rows } = await db.query<{ type: string; aggregate_version: number }>(
      `SELECT type, aggregate_version FROM tracking.events WHERE aggregate_id = '0'`,
    );
    expect(rows).toEqual([{ type: 'tracking.experiment.created.v1', aggregate_version: 1 }]);
    // The next change of experiment 0 continues its stream.
    await commands.setExperimentTag('0', 'team', 'ml', meta);
    expect((await db.query(`SELECT max(aggregate_version) AS v FROM tracking.events WHERE aggregate_id = '0'`)).rows[0]).toEqual({ v: 2 });
  });

  it('one log-batch request is one MetricsLogged event carrying every point, published through the outbox', async () => {
    const runId = await newRun();
    await commands.logBatch(runId, { metrics: Array.from({ length: 500 }, (_, i) => point('loss', i, i)), params: [], tags: [] }, meta);
    const { rows } = await db.query<{ type: string; n: string; in_outbox: boolean }>(
      `SELECT e.type, json_array_length(e.data->'metrics')::text AS n, EXISTS (SELECT 1 FROM tracking.outbox o WHERE o.global_position = e.global_position) AS in_outbox
       FROM tracking.events e WHERE e.aggregate_id = $1 AND e.type = 'tracking.metrics.logged.v1'`,
      [runId],
    );
    expect(rows).toEqual([{ type: 'tracking.metrics.logged.v1', n: '500', in_outbox: true }]);
    expect((await queries.metricHistoryPage(runId, 'loss', 1000, undefined)).items).toHaveLength(500);
  });

  it('a batch refused for one element writes nothing at all', async () => {
    const runId = await newRun();
    await commands.logBatch(runId, { metrics: [], params: [{ key: 'lr', value: '0.1' }], tags: [] }, meta);
    const before = await db.query(`SELECT count(*)::int AS n FROM tracking.events WHERE aggregate_id = $1`, [runId]);
    await expect(
      commands.logBatch(
        runId,
        {
          metrics: [point('m', 1, 0)],
          params: [
            { key: 'ok', value: '1' },
            { key: 'lr', value: '0.2' },
          ],
          tags: [{ key: 't', value: 'v' }],
        },
        meta,
      ),
    ).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    const run = await queries.run(runId);
    expect(run.metrics).toEqual([]);
    expect(run.params).toEqual([{ key: 'lr', value: '0.1' }]);
    expect(run.tags.find((t) => t.key === 't')).toBeUndefined();
    expect((await queries.metricHistoryPage(runId, 'm', 10, undefined)).items).toEqual([]);
    expect(await db.query(`SELECT count(*)::int AS n FROM tracking.events WHERE aggregate_id = $1`, [runId])).toMatchObject({ rows: before.rows });
  });

  it('writes to a run open their transaction with the run lock inlined only for hex run ids: any other id is an unknown run', async () => {
    const runId = await newRun();
    await commands.logBatch(runId, { metrics: [point('acc', 0.5, 1)], params: [], tags: [] }, meta);
    expect((await queries.run(runId)).metrics).toEqual([expect.objectContaining({ key: 'acc', value: 0.5, step: 1 })]);
    for (const hostile of [`${runId}' OR '1'='1`, `'; DELETE FROM tracking.runs; --`, runId.toUpperCase()]) {
      await expect(commands.logBatch(hostile, { metrics: [point('acc', 1, 2)], params: [], tags: [] }, meta)).rejects.toMatchObject({
        code: 'RESOURCE_DOES_NOT_EXIST',
      });
    }
    expect((await queries.run(runId)).metrics).toEqual([expect.objectContaining({ key: 'acc', value: 0.5, step: 1 })]);
  });

  it('params are write-once; the same value again is accepted', async () => {
    const runId = await newRun();
    await commands.logBatch(runId, { metrics: [], params: [{ key: 'lr', value: '0.1' }], tags: [] }, meta);
    await commands.logBatch(runId, { metrics: [], params: [{ key: 'lr', value: '0.1' }], tags: [] }, meta);
    await expect(commands.logBatch(runId, { metrics: [], params: [{ key: 'lr', value: '0.3' }], tags: [] }, meta)).rejects.toThrow(
      /Changing param values is not allowed/,
    );
    expect((await queries.run(runId)).params).toEqual([{ key: 'lr', value: '0.1' }]);
  });

  it('values at the length limits (random text, 6000-char param, 8000-char tag) are stored and found by search', async () => {
    const runId = await newRun();
    // Random, so that Postgres cannot compress it under the btree entry limit.
    const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.';
    const random = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
    const param = random(6000);
    const tag = random(8000);
    await commands.logBatch(runId, { metrics: [], params: [{ key: 'long', value: param }], tags: [{ key: 'long', value: tag }] }, meta);
    const run = await queries.run(runId);
    expect(run.params).toEqual([{ key: 'long', value: param }]);
    expect(run.tags.find((t) => t.key === 'long')?.value).toBe(tag);
    const found = await queries.searchRuns({ experimentIds: [experimentId], filter: `params.long = '${param}'`, viewType: 'ACTIVE_ONLY' }, READ_ALL);
    expect(found.items.map((r) => r.runId)).toEqual([runId]);
  });

  it('8 concurrent batches on one run: no deadlock, every point kept, latest is the greatest (step, timestamp, value)', async () => {
    const runId = await newRun();
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    await Promise.all(
      Array.from({ length: 8 }, (_, writer) =>
        commands.logBatch(
          runId,
          {
            // Each writer touches every key, in a different order, so row locks would cross without the key ordering.
            metrics: keys.flatMap((key, i) => [point(keys[(i + writer) % keys.length] ?? key, writer, writer, 1000 + writer), point(key, -writer, 0, 5000)]),
            params: [],
            tags: [],
          },
          meta,
        ),
      ),
    );
    const run = await queries.run(runId);
    expect(run.metrics).toHaveLength(20);
    for (const m of run.metrics) expect(m).toMatchObject({ step: 7, value: 7, timestamp: 1007 });
    const { rows } = await db.query<{ n: number }>(`SELECT coalesce(sum(points), 0)::int AS n FROM tracking.metric_chunks WHERE run_uuid = $1`, [runId]);
    expect(rows[0]?.n).toBe(8 * 20 * 2);
  });

  it('a later point with a smaller step does not become the latest; ties on step and time go to the larger value', async () => {
    const runId = await newRun();
    await commands.logBatch(runId, { metrics: [point('m', 5, 5, 100)], params: [], tags: [] }, meta);
    await commands.logBatch(runId, { metrics: [point('m', 9, 3, 999)], params: [], tags: [] }, meta);
    expect((await queries.run(runId)).metrics[0]).toMatchObject({ value: 5, step: 5 });
    await commands.logBatch(runId, { metrics: [point('m', 6, 5, 100), point('m', 4, 5, 100)], params: [], tags: [] }, meta);
    expect((await queries.run(runId)).metrics[0]).toMatchObject({ value: 6, step: 5 });
  });

  it('NaN and ±Infinity round-trip through history and latest values; NaN never matches a > filter', async () => {
    const runId = await newRun();
    await commands.logBatch(
      runId,
      { metrics: [point('nan', 'NaN', 0), point('pinf', 'Infinity', 0), point('ninf', '-Infinity', 0)], params: [], tags: [] },
      meta,
    );
    const run = await queries.run(runId);
    const byKey = Object.fromEntries(run.metrics.map((m) => [m.key, m.value]));
    expect(byKey).toEqual({ nan: Number.NaN, pinf: Number.POSITIVE_INFINITY, ninf: Number.NEGATIVE_INFINITY });
    expect((await queries.metricHistoryPage(runId, 'nan', 10, undefined)).items[0]?.value).toBeNaN();
    const streamed: string[] = [];
    for (const key of ['nan', 'pinf', 'ninf']) for await (const chunk of queries.metricHistoryJsonChunks(runId, key)) streamed.push(chunk);
    expect(streamed.map((c) => (JSON.parse(c) as { value: unknown }).value)).toEqual(['NaN', 'Infinity', '-Infinity']);
    const found = await queries.searchRuns({ experimentIds: [experimentId], filter: 'metrics.nan > -1', viewType: 'ACTIVE_ONLY' }, READ_ALL);
    expect(found.items.map((r) => r.runId)).not.toContain(runId);
    const inf = await queries.searchRuns({ experimentIds: [experimentId], filter: 'metrics.pinf > 1e308', viewType: 'ACTIVE_ONLY' }, READ_ALL);
    expect(inf.items.map((r) => r.runId)).toEqual([runId]);
  });

  it('the full-history stream renders every value with the digits a double needs to read back exactly', async () => {
    const runId = await newRun();
    const values = [0.1, 1e-300, 1.7976931348623157e308, -2.5, 123456789.12345679, 5e-324, 0, 1 / 3, 2 ** 53 + 2];
    const key = 'loss/train set-1.x';
    await commands.logBatch(runId, { metrics: values.map((v, i) => point(key, v, i)), params: [], tags: [] }, meta);
    const streamed: { key: string; value: number; step: number }[] = [];
    for await (const chunk of queries.metricHistoryJsonChunks(runId, key, 4)) streamed.push(...(JSON.parse(`[${chunk}]`) as typeof streamed));
    expect(streamed.map((m) => m.value)).toEqual(values);
    expect(streamed.every((m) => m.key === key)).toBe(true);
    expect(streamed).toEqual(
      (await queries.metricHistoryPage(runId, key, 100, undefined)).items.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp, step: m.step })),
    );
  });

  it('the full-history stream keeps the dataset fields of the points that have them, rendered here or by Postgres', async () => {
    const runId = await newRun();
    const plain = [0, 1, 2, 3].map((i) => point('acc', i / 10, i));
    const withDataset = [4, 5].map((i) => ({ ...point('acc', i / 10, i), datasetName: 'eval "set"', datasetDigest: 'd1' }));
    await commands.logBatch(runId, { metrics: [...plain, ...withDataset, point('acc', 0.6, 6)], params: [], tags: [] }, meta);
    const stream = async () => {
      const pieces: Array<Array<Record<string, unknown>>> = [];
      for await (const chunk of queries.metricHistoryJsonChunks(runId, 'acc', 3)) pieces.push(JSON.parse(`[${chunk}]`) as Array<Record<string, unknown>>);
      return pieces.flat();
    };
    const disjoint = await stream(); // one chunk: rendered from its text columns
    expect(disjoint.map((m) => m['step'])).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(disjoint.map((m) => m['dataset_name'] ?? null)).toEqual([null, null, null, null, 'eval "set"', 'eval "set"', null]);
    expect(disjoint[4]).toEqual({ key: 'acc', value: 0.4, timestamp: 1000, step: 4, dataset_name: 'eval "set"', dataset_digest: 'd1' });
    // A second chunk overlapping the first: the stream pages in Postgres from the start.
    await commands.logBatch(runId, { metrics: [{ ...point('acc', 0.45, 4, 2000), datasetName: 'b', datasetDigest: 'd2' }], params: [], tags: [] }, meta);
    const paged = await stream();
    expect(paged.map((m) => m['step'])).toEqual([0, 1, 2, 3, 4, 4, 5, 6]);
    expect(paged[4]).toEqual(disjoint[4]);
    expect(paged[5]).toEqual({ key: 'acc', value: 0.45, timestamp: 2000, step: 4, dataset_name: 'b', dataset_digest: 'd2' });
  });

  describe('search', () => {
    let searchExperiment: string;
    const ids: string[] = [];

    beforeAll(async () => {
      searchExperiment = await commands.createExperiment({ name: 'search', tags: [] }, meta);
      for (let i = 0; i < 12; i++) {
        const runId = await commands.createRun(
          { experimentId: searchExperiment, userId: 'u', startTime: 1000 + i, tags: [{ key: 'team', value: i % 2 ? 'a' : 'b' }] },
          meta,
        );
        await commands.logBatch(runId, { metrics: [point('auc', i / 12, 0)], params: [{ key: 'lr', value: String(i % 3) }], tags: [] }, meta);
        ids.push(runId);
      }
      await commands.deleteRun(ids[11] ?? '', meta);
    });

    const search = (request: Partial<Parameters<TrackingQueries['searchRuns']>[0]>) =>
      queries.searchRuns({ experimentIds: [searchExperiment], viewType: 'ACTIVE_ONLY', ...request }, READ_ALL);

    it('filters on metrics, params, tags and attributes, and hides deleted runs', async () => {
      expect((await search({ filter: 'metrics.auc >= 0.5' })).items.map((r) => r.runId).sort()).toEqual(ids.slice(6, 11).sort());
      expect((await search({ filter: "params.lr = '0' and tags.team = 'b'" })).items.map((r) => r.runId).sort()).toEqual([ids[0], ids[6]].sort());
      expect((await search({ filter: `attributes.run_id IN ('${ids[1]}', '${ids[11]}')` })).items.map((r) => r.runId)).toEqual([ids[1]]);
      expect((await search({ viewType: 'DELETED_ONLY' })).items.map((r) => r.runId)).toEqual([ids[11]]);
    });

    it('orders by metric and by start_time DESC by default', async () => {
      expect((await search({})).items.map((r) => r.runId)).toEqual(ids.slice(0, 11).reverse());
      expect((await search({ orderBy: ['metrics.auc ASC'] })).items.map((r) => r.runId)).toEqual(ids.slice(0, 11));
    });

    it('a syntax error is INVALID_PARAMETER_VALUE, never SQL', async () => {
      await expect(search({ filter: "params.lr = '0' OR 1=1" })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      await expect(search({ filter: "tags.x = 'a'; DROP TABLE tracking.runs" })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      await expect(search({ maxResults: 50_001 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    });

    it('page tokens stay exact while runs are being added', async () => {
      const seen: string[] = [];
      let token: string | undefined;
      let added = 0;
      do {
        const page = await search({ maxResults: 4, pageToken: token });
        seen.push(...page.items.map((r) => r.runId));
        token = page.nextPageToken;
        // A newer run sorts first (start_time DESC): it must neither shift nor repeat later pages.
        if (added++ < 2) await commands.createRun({ experimentId: searchExperiment, userId: 'u', startTime: 999_999 + added, tags: [] }, meta);
      } while (token);
      expect(seen).toEqual(ids.slice(0, 11).reverse());
    });
  });

  it('experiment delete hides its runs; restore brings them back; its name stays taken', async () => {
    const id = await commands.createExperiment({ name: 'doomed', tags: [] }, meta);
    const runId = await commands.createRun({ experimentId: id, userId: 'u', tags: [] }, meta);
    await commands.deleteExperiment(id, meta);
    expect((await queries.run(runId)).lifecycleStage).toBe('deleted');
    await expect(commands.createExperiment({ name: 'doomed', tags: [] }, meta)).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
    await expect(commands.createRun({ experimentId: id, userId: 'u', tags: [] }, meta)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await commands.restoreExperiment(id, meta);
    expect((await queries.run(runId)).lifecycleStage).toBe('active');
  });

  it('concurrent creates of one experiment name: one wins, the other gets RESOURCE_ALREADY_EXISTS', async () => {
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => commands.createExperiment({ name: 'race', tags: [] }, meta)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
  });

  it('downsampled history keeps first and last step and at most max_results steps, for several runs', async () => {
    const runA = await newRun();
    const runB = await newRun();
    await commands.logBatch(runA, { metrics: Array.from({ length: 1000 }, (_, i) => point('d', i, i)), params: [], tags: [] }, meta);
    await commands.logBatch(runB, { metrics: Array.from({ length: 10 }, (_, i) => point('d', i, i * 100)), params: [], tags: [] }, meta);
    const points = await queries.metricHistoryBulkInterval({ runIds: [runA, runB], key: 'd', maxResults: 50 });
    const steps = [...new Set(points.map((p) => p.step))];
    expect(steps.length).toBeLessThanOrEqual(50);
    expect(steps).toContain(0);
    expect(steps).toContain(999);
    expect(points.filter((p) => p.runId === runB).map((p) => p.step)).toEqual(expect.arrayContaining([0, 900]));
    const window = await queries.metricHistoryBulkInterval({ runIds: [runA], key: 'd', maxResults: 2500, startStep: 10, endStep: 19 });
    expect(window.map((p) => p.step)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('history pages follow (step, timestamp) and survive points appended between pages', async () => {
    const runId = await newRun();
    await commands.logBatch(runId, { metrics: Array.from({ length: 10 }, (_, i) => point('h', i, i)), params: [], tags: [] }, meta);
    const first = await queries.metricHistoryPage(runId, 'h', 4, undefined);
    await commands.logBatch(runId, { metrics: [point('h', 100, 100)], params: [], tags: [] }, meta);
    const steps = first.items.map((m) => m.step);
    let token = first.nextPageToken;
    while (token) {
      const page = await queries.metricHistoryPage(runId, 'h', 4, token);
      steps.push(...page.items.map((m) => m.step));
      token = page.nextPageToken;
    }
    expect(steps).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100]);
    // The full-history stream: chunks of wire JSON rendered by Postgres, in the same order.
    const chunks: { step: number }[][] = [];
    for await (const chunk of queries.metricHistoryJsonChunks(runId, 'h', 3)) chunks.push(JSON.parse(`[${chunk}]`) as { step: number }[]);
    expect(chunks.length).toBeGreaterThan(1); // streamed a read at a time, not built whole
    expect(chunks.flat().map((m) => m.step)).toEqual(steps);
    expect(chunks[0]?.[0]).toEqual({ key: 'h', value: 0, timestamp: 1000, step: 0 });
  });

  it('the full-history stream renders disjoint chunks itself and pages from the first overlap on, in order either way', async () => {
    const runId = await newRun();
    const log = (steps: number[], timestamp: number) =>
      commands.logBatch(runId, { metrics: steps.map((step) => point('f', step / 10, step, timestamp)), params: [], tags: [] }, meta);
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    await log(range(0, 10), 1);
    await log(range(10, 20), 1);
    await log([...range(20, 30), 31, 33], 1);
    await log([5, 25, 35], 2); // overlaps the two chunks before it
    await log(range(40, 50), 1);
    await log([1_000_000], 1);
    const expected = [...range(0, 6), ...range(6, 26), ...range(26, 30), 31, 33, 35, ...range(40, 50), 1_000_000].flatMap((step) =>
      step === 5 || step === 25 ? [step, step] : [step],
    );
    for (const size of [3, 20, 20_000]) {
      const pieces: { step: number; timestamp: number; value: number }[][] = [];
      for await (const piece of queries.metricHistoryJsonChunks(runId, 'f', size))
        pieces.push(JSON.parse(`[${piece}]`) as { step: number; timestamp: number; value: number }[]);
      const streamed = pieces.flat();
      expect({ size, steps: streamed.map((p) => p.step) }).toEqual({ size, steps: expected });
      // Ties on step keep logged order: the first batch's point before the overlapping one's.
      expect(streamed.filter((p) => p.step === 25).map((p) => p.timestamp)).toEqual([1, 2]);
      expect(streamed.every((p) => p.value === p.step / 10)).toBe(true);
    }
    const paged = await queries.metricHistoryPage(runId, 'f', 1000, undefined);
    expect(paged.items.map((p) => p.step)).toEqual(expected);
  });

  it('history stored in overlapping chunks reads back in (step, timestamp) order, logged order on ties, identical points once, with every page size', async () => {
    const runId = await newRun();
    // A deterministic generator: batches out of order, overlapping, one very wide, with repeats.
    let seed = 42;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const stored: { step: number; timestamp: number; value: number }[] = [];
    const same = (a: { step: number; timestamp: number; value: number }, b: typeof a) =>
      a.step === b.step && a.timestamp === b.timestamp && a.value === b.value;
    for (let b = 0; b < 14; b++) {
      const batch = Array.from({ length: 1 + next(60) }, () => ({ step: next(200), timestamp: 1 + next(3), value: next(3) }));
      if (b === 5) batch.push({ step: 5000, timestamp: 1, value: 0 }, { step: -7, timestamp: 1, value: 0 });
      if (b === 7) batch.push(...Array.from({ length: 450 }, (_, i) => ({ step: 2 * i, timestamp: 2, value: 1 }))); // stored as 3 chunks
      if (b > 0) batch.push({ ...stored[next(stored.length)] }); // the same point again: stored once
      await commands.logBatch(runId, { metrics: batch.map((p) => point('o', p.value, p.step, p.timestamp)), params: [], tags: [] }, meta);
      // The model: a batch's distinct points in (step, timestamp, value) order, minus those already stored.
      const planned = [...batch]
        .sort((x, y) => x.step - y.step || x.timestamp - y.timestamp || x.value - y.value)
        .filter((p, i, all) => i === 0 || !same(all[i - 1], p));
      stored.push(...planned.filter((p) => !stored.some((s) => same(s, p))));
    }
    const expected = stored
      .map((p, order) => ({ ...p, order }))
      .sort((x, y) => x.step - y.step || x.timestamp - y.timestamp || x.order - y.order)
      .map(({ step, timestamp, value }) => ({ step, timestamp, value }));
    const pick = (m: { step: number; timestamp: number; value: number }) => ({ step: m.step, timestamp: m.timestamp, value: m.value });

    for (const size of [1, 7, 50, 25_000]) {
      const read: { step: number; timestamp: number; value: number }[] = [];
      let token: string | undefined;
      do {
        const page = await queries.metricHistoryPage(runId, 'o', size, token);
        expect(page.items.length).toBeGreaterThan(0);
        read.push(...page.items.map(pick));
        token = page.nextPageToken;
      } while (token);
      expect({ size, read }).toEqual({ size, read: expected });
    }
    for (const size of [3, 64]) {
      const streamed: { step: number; timestamp: number; value: number }[] = [];
      for await (const chunk of queries.metricHistoryJsonChunks(runId, 'o', size))
        streamed.push(...(JSON.parse(`[${chunk}]`) as { step: number; timestamp: number; value: number }[]).map(pick));
      expect({ size, streamed }).toEqual({ size, streamed: expected });
    }
    // Downsampling with room for every step returns every point of the window, whatever chunk holds it.
    const byPosition = (x: { step: number; timestamp: number; value: number }, y: typeof x) =>
      x.step - y.step || x.timestamp - y.timestamp || x.value - y.value;
    const window = await queries.metricHistoryBulkInterval({ runIds: [runId], key: 'o', maxResults: 2500, startStep: 50, endStep: 120 });
    expect(window.map(pick).sort(byPosition)).toEqual(expected.filter((p) => p.step >= 50 && p.step <= 120).sort(byPosition));
    const sampled = await queries.metricHistoryBulkInterval({ runIds: [runId], key: 'o', maxResults: 10 });
    const sampledSteps = [...new Set(sampled.map((p) => p.step))];
    expect(sampledSteps[0]).toBe(-7);
    expect(sampledSteps).toContain(5000);
    expect(sampledSteps.length).toBeLessThanOrEqual(10);
  });

  // Last: uses everything the tests above wrote.
  it('the read model is a function of the events: replaying tracking.events rebuilds it exactly', async () => {
    const snapshotQueries = [
      `SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time FROM tracking.experiments ORDER BY 1`,
      `SELECT * FROM tracking.experiment_tags ORDER BY 1, 2`,
      `SELECT run_uuid, experiment_id, name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri, deleted_time FROM tracking.runs ORDER BY 1`,
      `SELECT c.run_uuid, c.key, u.value, u.timestamp, u.step, u.is_nan, u.model_id, u.dataset_name, u.dataset_digest
       FROM tracking.metric_chunks c
       CROSS JOIN LATERAL unnest(c.steps, c.timestamps, c.metric_values, c.is_nans, c.model_ids, c.dataset_names, c.dataset_digests)
         AS u(step, timestamp, value, is_nan, model_id, dataset_name, dataset_digest)
       ORDER BY 1, 2, 5, 4, 3`,
      `SELECT * FROM tracking.latest_metrics ORDER BY 1, 2`,
      `SELECT * FROM tracking.params ORDER BY 1, 2`,
      `SELECT * FROM tracking.tags ORDER BY 1, 2`,
      `SELECT d.experiment_id, d.name, d.digest, d.source_type, d.source, i.destination_id FROM tracking.datasets d JOIN tracking.inputs i ON i.source_id = d.dataset_uuid ORDER BY 1, 2, 3, 6`,
      `SELECT * FROM tracking.run_outputs ORDER BY 1, 2, 3`,
    ];
    const snapshot = async () => Promise.all(snapshotQueries.map(async (text) => (await db.query(text)).rows));
    const before = await snapshot();
    expect(before[3]?.length).toBeGreaterThan(1000);
    await inRolledBackUnitOfWork(db, async (uow) => {
      await rebuildTrackingReadModel(uow);
      expect(await Promise.all(snapshotQueries.map(async (text) => (await uow.query(text)).rows))).toEqual(before);
    });
  }, 60_000);
});
