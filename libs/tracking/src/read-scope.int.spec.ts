/**
 * Searches and lists return only what the caller may read: the read scope is applied in the query,
 * so pages, page tokens (keyset and MLflow offsets alike) and page sizes count visible rows only.
 */
import { READ_ALL, type EventMetadata, type ReadScope } from '@cairn/contracts';
import { EventStore, systemClock } from '@cairn/eventing';
import { Database } from '@cairn/platform';
import { createTestDatabase, walkPages, type TestDatabase } from '@cairn/testing';
import { TrackingCommands } from './application/tracking-commands';
import { TrackingQueries } from './application/tracking-queries';
import { TrackingStore } from './infra/tracking-store';

const meta: EventMetadata = { actor: 'test', correlationId: null, causationId: null };

describe('searches filtered by the read scope, on real Postgres', () => {
  let testDb: TestDatabase;
  let db: Database;
  let commands: TrackingCommands;
  let queries: TrackingQueries;
  // Three experiments; `hidden` is the one the scoped callers may not read.
  let shown: string;
  let hidden: string;
  let other: string;
  const runsOf = new Map<string, string[]>();
  const created: { runId: string; experimentId: string }[] = [];
  const modelsOf = new Map<string, string[]>();

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: true, prefix: 'scope' });
    db = new Database(testDb.url, { max: 10 });
    const store = new TrackingStore(db);
    commands = new TrackingCommands(db, store, new EventStore(), systemClock);
    queries = new TrackingQueries(db, store);
    shown = await commands.createExperiment({ name: 'shown', tags: [{ key: 'team', value: 'ml' }] }, meta);
    hidden = await commands.createExperiment({ name: 'hidden', tags: [{ key: 'team', value: 'ml' }] }, meta);
    other = await commands.createExperiment({ name: 'other', tags: [{ key: 'team', value: 'ml' }] }, meta);
    // Interleaved start times: the hidden runs sit between the visible ones in every order.
    let t = 1_000;
    for (let i = 0; i < 5; i++) {
      for (const experimentId of [shown, hidden, other]) {
        const runId = await commands.createRun({ experimentId, userId: 'u', startTime: t++, tags: [] }, meta);
        await commands.logBatch(runId, { metrics: [{ key: 'auc', value: t / 10_000, timestamp: 1, step: 0 }], params: [], tags: [] }, meta);
        runsOf.set(experimentId, [...(runsOf.get(experimentId) ?? []), runId]);
        created.push({ runId, experimentId });
        const modelId = await commands.createLoggedModel({ experimentId, name: `model-${i}`, params: [], tags: [] }, meta);
        modelsOf.set(experimentId, [...(modelsOf.get(experimentId) ?? []), modelId]);
      }
    }
    for (const experimentId of [shown, hidden]) {
      const runId = runsOf.get(experimentId)?.[0] ?? '';
      const dataset = { name: `data-of-${experimentId}`, digest: 'd', sourceType: 'local', source: 's', tags: [] };
      await commands.logInputs(runId, { datasets: [dataset], modelIds: [] }, meta);
    }
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  const allExceptHidden = (): ReadScope => ({ kind: 'all-except', ids: [hidden] });
  const onlyShownAndOther = (): ReadScope => ({ kind: 'only', ids: [shown, other] });

  it('experiments/search: hidden experiments never appear, and pages of two walk the visible ones without an empty or short page in the middle', async () => {
    for (const scope of [allExceptHidden(), onlyShownAndOther()]) {
      const { items, pageSizes } = await walkPages((pageToken) =>
        queries.searchExperiments({ viewType: 'ACTIVE_ONLY', filter: "tags.team = 'ml'", orderBy: ['name'], maxResults: 2, pageToken }, scope),
      );
      expect(items.map((e) => e.name)).toEqual(['other', 'shown']);
      expect(pageSizes).toEqual([2]);
    }
    const { items } = await walkPages((pageToken) => queries.searchExperiments({ viewType: 'ACTIVE_ONLY', maxResults: 1, pageToken }, allExceptHidden()));
    // The Default experiment (0) is readable under "all except": three single-row pages, no hidden row in any.
    expect(items.map((e) => e.experimentId).sort()).toEqual(['0', shown, other].sort());
    expect((await queries.searchExperiments({ viewType: 'ALL' }, { kind: 'only', ids: [] })).items).toEqual([]);
  });

  it('experiments/search with read-all is unchanged: every experiment, in the same order', async () => {
    const { items } = await walkPages((pageToken) =>
      queries.searchExperiments({ viewType: 'ACTIVE_ONLY', filter: "tags.team = 'ml'", orderBy: ['name'], maxResults: 2, pageToken }, READ_ALL),
    );
    expect(items.map((e) => e.name)).toEqual(['hidden', 'other', 'shown']);
  });

  it('runs/search: runs of an unreadable experiment are filtered even when the request names it, and keyset pages walk the visible runs exactly', async () => {
    // auc grows with creation: highest first is newest first.
    const visible = created
      .filter((r) => r.experimentId !== hidden)
      .map((r) => r.runId)
      .reverse();
    for (const scope of [allExceptHidden(), onlyShownAndOther()]) {
      const { items, pageSizes } = await walkPages((pageToken) =>
        queries.searchRuns({ experimentIds: [shown, hidden, other], viewType: 'ACTIVE_ONLY', orderBy: ['metrics.auc DESC'], maxResults: 3, pageToken }, scope),
      );
      // 10 visible runs in pages of 3: a hidden run would shorten a page or shift one.
      expect(items.map((r) => r.runId)).toEqual(visible);
      expect(pageSizes).toEqual([3, 3, 3, 1]);
    }
  });

  it('runs/search: an unreadable experiment named with leading zeros is still hidden (the scope compares numbers, not text)', async () => {
    const page = await queries.searchRuns({ experimentIds: [`00${hidden}`], viewType: 'ALL' }, allExceptHidden());
    expect(page.items).toEqual([]);
    expect((await queries.searchRuns({ experimentIds: [`00${shown}`], viewType: 'ALL' }, onlyShownAndOther())).items).toHaveLength(5);
  });

  it('runs/search: an MLflow offset token counts visible runs only', async () => {
    const offsetToken = Buffer.from(JSON.stringify({ offset: 4 })).toString('base64');
    const all = await queries.searchRuns({ experimentIds: [shown, hidden, other], viewType: 'ACTIVE_ONLY' }, allExceptHidden());
    const fromOffset = await queries.searchRuns({ experimentIds: [shown, hidden, other], viewType: 'ACTIVE_ONLY', pageToken: offsetToken }, allExceptHidden());
    expect(fromOffset.items.map((r) => r.runId)).toEqual(all.items.slice(4).map((r) => r.runId));
    expect(fromOffset.items).toHaveLength(6);
  });

  it('logged-models/search: models of an unreadable experiment never appear, and offset pages count visible models only', async () => {
    const { items, pageSizes } = await walkPages((pageToken) =>
      queries.searchLoggedModels({ experimentIds: [shown, hidden], maxResults: 2, pageToken }, allExceptHidden()),
    );
    expect(items.map((m) => m.modelId).sort()).toEqual((modelsOf.get(shown) ?? []).slice().sort());
    expect(pageSizes).toEqual([2, 2, 1]);
    const only = await queries.searchLoggedModels({ experimentIds: [shown, hidden, other], filter: "name = 'model-0'" }, { kind: 'only', ids: [other] });
    expect(only.items.map((m) => m.experimentId)).toEqual([other]);
    const all = await queries.searchLoggedModels({ experimentIds: [shown, hidden, other], filter: "name = 'model-0'" }, READ_ALL);
    expect(all.items.map((m) => m.experimentId).sort()).toEqual([shown, hidden, other].sort());
  });

  it('search-datasets: datasets of an unreadable experiment are not listed', async () => {
    const names = async (scope: ReadScope) => (await queries.datasetSummaries([shown, hidden], scope)).map((d) => d.name);
    expect(await names(allExceptHidden())).toEqual([`data-of-${shown}`]);
    expect(await names({ kind: 'only', ids: [hidden] })).toEqual([`data-of-${hidden}`]);
    expect((await names(READ_ALL)).sort()).toEqual([`data-of-${shown}`, `data-of-${hidden}`].sort());
  });
});
