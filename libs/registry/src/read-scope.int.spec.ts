/**
 * Registry searches and lists return only models the caller may read (and versions of those), with
 * the scope applied in the query: pages and page tokens walk visible rows only.
 */
import { READ_ALL, TRACKING_EVENT_TYPES as T, type EventMetadata, type ReadScope } from '@cairn/contracts';
import { consumerReplay, EventStore } from '@cairn/eventing';
import { Database } from '@cairn/platform';
import { createTestDatabase, walkPages, type TestDatabase } from '@cairn/testing';
import { RegistryCommands } from './application/registry-commands';
import { RegistryQueries } from './application/registry-queries';
import { runSummarySubscription } from './application/run-summary.consumer';
import { RegistryStore } from './infra/registry-store';
import { RunSummaryRepository } from './infra/run-summary.repository';

const meta: EventMetadata = { actor: 'ana', correlationId: null, causationId: null };
const RUN = 'a'.repeat(32);
const EXPERIMENT = '7';

describe('registry searches filtered by the read scope, on real Postgres', () => {
  let testDb: TestDatabase;
  let db: Database;
  let commands: RegistryCommands;
  let queries: RegistryQueries;
  // Model names; `secret` is the one the scoped callers may not read. Names interleave it with the others.
  const models = ['alpha', 'secret', 'zeta'];
  const allExceptSecret: ReadScope = { kind: 'all-except', ids: ['secret'] };
  const onlyAlphaZeta: ReadScope = { kind: 'only', ids: ['alpha', 'zeta'] };

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: true, prefix: 'scope' });
    db = new Database(testDb.url, { max: 10 });
    const eventStore = new EventStore();
    const store = new RegistryStore(db);
    const runs = new RunSummaryRepository(db);
    commands = new RegistryCommands(db, eventStore, store);
    queries = new RegistryQueries(db, eventStore, store, runs);
    for (const name of models) {
      await commands.createRegisteredModel(name, null, [{ key: 'team', value: 'ml' }], meta);
      for (let i = 0; i < 3; i++) {
        await commands.execute(
          name,
          {
            type: 'createModelVersion',
            source: `runs:/${RUN}/model`,
            runId: RUN,
            runLink: null,
            loggedModelId: null,
            description: null,
            userId: null,
            tags: [],
          },
          meta,
        );
      }
    }
    // The run the versions come from, as tracking's events tell the registry of it.
    const stored = await db.transaction((tx) =>
      eventStore.append(
        tx,
        'tracking',
        [
          {
            type: T.runCreated,
            aggregateId: RUN,
            data: {
              runId: RUN,
              experimentId: EXPERIMENT,
              name: 'r',
              userId: 'u',
              status: 'RUNNING',
              startTime: 1,
              artifactUri: `mlflow-artifacts:/${EXPERIMENT}/${RUN}/artifacts`,
              tags: [],
            },
          },
          { type: T.paramsLogged, aggregateId: RUN, data: { runId: RUN, params: [{ key: 'lr', value: '0.1' }] } },
        ],
        meta,
      ),
    );
    const consumer = runSummarySubscription(runs);
    for (const envelope of stored) await db.transaction((tx) => consumerReplay(consumer, 'tracking', tx).apply(envelope));
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  it('registered-models/search: an unreadable model never appears; pages of one walk exactly the readable ones', async () => {
    for (const scope of [allExceptSecret, onlyAlphaZeta]) {
      const { items, pageSizes } = await walkPages((pageToken) =>
        queries.searchRegisteredModels({ filter: "tags.team = 'ml'", maxResults: 1, pageToken }, scope),
      );
      expect(items.map((m) => m.name)).toEqual(['alpha', 'zeta']);
      expect(pageSizes).toEqual([1, 1]);
      const byName = await queries.searchRegisteredModels({ filter: "name LIKE '%e%'" }, scope);
      expect(byName.items.map((m) => m.name)).toEqual(['zeta']);
    }
    const all = await walkPages((pageToken) => queries.searchRegisteredModels({ filter: "tags.team = 'ml'", maxResults: 1, pageToken }, READ_ALL));
    expect(all.items.map((m) => m.name)).toEqual(models);
    expect((await queries.searchRegisteredModels({}, { kind: 'only', ids: [] })).items).toEqual([]);
  });

  it('model-versions/search: versions of an unreadable model never appear, whatever the filter or order; pages walk the readable ones', async () => {
    const expected = ['alpha/3', 'alpha/2', 'alpha/1', 'zeta/3', 'zeta/2', 'zeta/1'];
    for (const scope of [allExceptSecret, onlyAlphaZeta]) {
      const { items, pageSizes } = await walkPages((pageToken) => queries.searchModelVersions({ maxResults: 4, pageToken }, scope));
      expect(items.map((v) => `${v.name}/${v.version}`)).toEqual(expected);
      expect(pageSizes).toEqual([4, 2]);
      const byRun = await queries.searchModelVersions({ filter: `run_id = '${RUN}'`, orderBy: ['version_number DESC'], maxResults: 5 }, scope);
      expect(byRun.items.map((v) => v.name)).not.toContain('secret');
      expect(byRun.items).toHaveLength(5);
      expect((await queries.searchModelVersions({ filter: "name = 'secret'" }, scope)).items).toEqual([]);
    }
    const all = await walkPages((pageToken) => queries.searchModelVersions({ maxResults: 4, pageToken }, READ_ALL));
    expect(all.items).toHaveLength(9);
  });

  it('run-references lists only versions of readable models', async () => {
    const names = async (scope: ReadScope) => [...new Set((await queries.versionsReferencingRun(RUN, scope)).map((v) => v.name))];
    expect(await names(allExceptSecret)).toEqual(['alpha', 'zeta']);
    expect(await names({ kind: 'only', ids: ['secret'] })).toEqual(['secret']);
    expect(await names(READ_ALL)).toEqual(models);
  });

  it("lineage shows the run's details only to a caller who may read its experiment; run-summaries answers as for an unknown run", async () => {
    const readable = await queries.lineage('alpha', '1', { kind: 'only', ids: [EXPERIMENT] });
    expect(readable).toMatchObject({ runId: RUN, runKnown: true, run: { experimentId: EXPERIMENT, params: { lr: '0.1' } } });
    const hidden = await queries.lineage('alpha', '1', { kind: 'all-except', ids: [EXPERIMENT] });
    expect(hidden).toMatchObject({ runId: RUN, runKnown: true });
    expect(hidden.run).toBeUndefined();

    expect(await queries.runSummary(RUN, READ_ALL)).toMatchObject({ runId: RUN });
    const unknown = await queries.runSummary('b'.repeat(32), READ_ALL).catch((e: unknown) => e);
    const unreadable = await queries.runSummary(RUN, { kind: 'only', ids: ['8'] }).catch((e: unknown) => e);
    expect(unreadable).toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect((unreadable as Error).message).toBe((unknown as Error).message.replace('b'.repeat(32), RUN));
  });
});
