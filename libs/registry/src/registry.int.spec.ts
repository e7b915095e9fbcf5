import { parseRegistryEvent, READ_ALL, TRACKING_EVENT_TYPES as T, type EventMetadata, type TrackingEvent } from '@cairn/contracts';
import { ConcurrencyError, consumerReplay, EventStore, snapshotTables } from '@cairn/eventing';
import { Database } from '@cairn/platform';
import { createTestDatabase, waitFor, type TestDatabase } from '@cairn/testing';
import { RegistryCommands } from './application/registry-commands';
import { RegistryQueries } from './application/registry-queries';
import { runSummarySubscription } from './application/run-summary.consumer';
import { decide, evolve, initialRegisteredModelState } from './domain/registered-model';
import { AliasNotifications, type AliasChange } from './infra/alias-notifications';
import { projectRegistryEvent } from './infra/registry-projection';
import { rebuildRegistryReadModel, REGISTRY_CONSUMED_TABLES, REGISTRY_READ_MODEL_TABLES } from './infra/read-model-rebuild';
import { RegistryStore } from './infra/registry-store';
import { RunSummaryRepository } from './infra/run-summary.repository';

const meta: EventMetadata = { actor: 'ana', correlationId: null, causationId: null };
const RUN = 'b'.repeat(32);

describe('the registry on real Postgres', () => {
  let testDb: TestDatabase;
  let db: Database;
  let eventStore: EventStore;
  let store: RegistryStore;
  let commands: RegistryCommands;
  let queries: RegistryQueries;
  let runs: RunSummaryRepository;

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: true });
    db = new Database(testDb.url, { max: 30 });
    eventStore = new EventStore();
    store = new RegistryStore(db);
    runs = new RunSummaryRepository(db);
    commands = new RegistryCommands(db, eventStore, store);
    queries = new RegistryQueries(db, eventStore, store, runs);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  /** Tracking events as tracking appends them, delivered to the registry's consumer as the bus would. */
  const trackingEvents = async (events: TrackingEvent[]) => {
    const stored = await db.transaction((tx) => eventStore.append(tx, 'tracking', events, meta));
    const consumer = runSummarySubscription(runs);
    for (const envelope of stored) await db.transaction((tx) => consumerReplay(consumer, 'tracking', tx).apply(envelope));
  };

  const newVersion = (
    name: string,
    runId: string | null = RUN,
    loggedModelId: string | null = null,
    source = loggedModelId ? `models:/${loggedModelId}` : `runs:/${RUN}/model`,
  ) =>
    commands.execute(
      name,
      {
        type: 'createModelVersion',
        source,
        runId,
        runLink: null,
        loggedModelId,
        description: null,
        userId: null,
        tags: [],
      },
      meta,
    );

  it('a writer that decided on a stale state is refused by the event store, and nothing of it is kept', async () => {
    const { modelId } = await commands.createRegisteredModel('stale', null, [], meta);
    await newVersion('stale');
    const stream = await eventStore.readStream(db, 'registry', modelId);
    const state = stream.map((e) => parseRegistryEvent(e.type, e.aggregateId, e.data)).reduce(evolve, initialRegisteredModelState());
    const command = {
      type: 'createModelVersion' as const,
      source: 'runs:/x/m',
      runId: null,
      runLink: null,
      loggedModelId: null,
      description: null,
      userId: null,
      tags: [],
      now: Date.now(),
    };
    // Another writer gets in between this decision and its append (bypassing the row lock on purpose).
    await newVersion('stale');
    const attempt = db.transaction(async (tx) => {
      const events = decide(command, state);
      await eventStore.append(tx, 'registry', events, meta, stream.length);
      for (const event of events) await projectRegistryEvent(tx, event);
    });
    await expect(attempt).rejects.toBeInstanceOf(ConcurrencyError);
    const versions = await queries.searchModelVersions({ filter: "name = 'stale'" }, READ_ALL);
    expect(versions.items.map((v) => v.version).sort()).toEqual(['1', '2']);
  });

  it('rebuilding the read model from the event logs gives back the same rows, run summaries included', async () => {
    // What tracking tells the registry, delivered to its consumer as the bus would: two runs (one
    // purged), and a logged model whose version learns its run from this log.
    const [kept, purged] = ['c'.repeat(32), 'd'.repeat(32)];
    const loggedModelId = `m-${'e'.repeat(32)}`;
    const run = (runId: string): TrackingEvent => ({
      type: T.runCreated,
      aggregateId: runId,
      data: {
        runId,
        experimentId: '1',
        name: 'r',
        userId: 'u',
        status: 'RUNNING',
        startTime: 1,
        artifactUri: `mlflow-artifacts:/1/${runId}/artifacts`,
        tags: [],
      },
    });
    await trackingEvents([
      run(kept),
      run(purged),
      { type: T.paramsLogged, aggregateId: kept, data: { runId: kept, params: [{ key: 'lr', value: '0.1' }] } },
      {
        type: T.metricsLogged,
        aggregateId: kept,
        data: {
          runId: kept,
          metrics: [
            { key: 'auc', value: 0.9, timestamp: 5, step: 1 },
            { key: 'auc', value: 'NaN', timestamp: 6, step: 2 },
          ],
        },
      },
      { type: T.tagsSet, aggregateId: kept, data: { runId: kept, tags: [{ key: 'mlflow.runName', value: 'best' }] } },
      { type: T.runUpdated, aggregateId: kept, data: { runId: kept, status: 'FINISHED', endTime: 9 } },
      { type: T.runPurged, aggregateId: purged, data: { runId: purged, experimentId: '1', deletedTime: 3 } },
    ]);
    await commands.createRegisteredModel('rebuild', 'd', [{ key: 'team', value: 'ml' }], meta);
    for (let i = 0; i < 3; i++) await newVersion('rebuild');
    // Registered before tracking's logged_model.created arrived: its run is filled in when it does.
    await newVersion('rebuild', null, loggedModelId);
    await trackingEvents([
      {
        type: T.loggedModelCreated,
        aggregateId: loggedModelId,
        data: {
          modelId: loggedModelId,
          experimentId: '1',
          name: 'm',
          artifactLocation: 'mlflow-artifacts:/1/models/m',
          creationTime: 2,
          status: 'LOGGED_MODEL_READY',
          sourceRunId: kept,
          params: [],
          tags: [],
        },
      },
    ]);
    await commands.execute('rebuild', { type: 'transitionStage', version: '2', stage: 'Production', archiveExistingVersions: true }, meta);
    await commands.execute('rebuild', { type: 'setAlias', alias: 'champion', version: '2' }, meta);
    await commands.execute('rebuild', { type: 'setModelVersionTag', version: '3', key: 'k', value: 'v' }, meta);
    await commands.execute('rebuild', { type: 'deleteModelVersion', version: '1' }, meta);
    await commands.execute('rebuild', { type: 'renameRegisteredModel', newName: 'rebuilt' }, meta);
    await commands.createRegisteredModel('gone', null, [], meta);
    await commands.execute('gone', { type: 'deleteRegisteredModel' }, meta);
    const tables = [...REGISTRY_READ_MODEL_TABLES, ...REGISTRY_CONSUMED_TABLES];
    const before = await snapshotTables(db, tables);
    // The row holds what the registry's events say; the logged model's run is joined in when read.
    expect(before['registry.model_versions']).toContainEqual(expect.objectContaining({ logged_model_id: loggedModelId, run_id: null }));
    expect(before['registry.run_summaries']).toHaveLength(1);
    const versionsBefore = await queries.searchModelVersions({ filter: "name = 'rebuilt'" }, READ_ALL);
    expect(versionsBefore.items.find((v) => v.loggedModelId === loggedModelId)?.runId).toBe(kept);

    await db.transaction((tx) => rebuildRegistryReadModel(tx, runs));
    expect(await snapshotTables(db, tables)).toEqual(before);
    expect(await queries.searchModelVersions({ filter: "name = 'rebuilt'" }, READ_ALL)).toEqual(versionsBefore);
  });

  it('a 3.x version names a logged model; its run is filled in when tracking tells the registry', async () => {
    await commands.createRegisteredModel('logged', null, [], meta);
    const loggedModelId = `m-${'c'.repeat(32)}`;
    await newVersion('logged', null, loggedModelId);
    expect((await queries.modelVersion('logged', '1')).runId).toBeNull();
    await db.transaction((tx) =>
      runs.saveLoggedModel(tx, {
        modelId: loggedModelId,
        experimentId: '3',
        sourceRunId: RUN,
        artifactLocation: `mlflow-artifacts:/3/models/${loggedModelId}/artifacts`,
        creationTime: 1,
      }),
    );
    const version = await queries.modelVersion('logged', '1');
    expect(version.runId).toBe(RUN);
    expect(await queries.downloadUriOf(version)).toBe(`mlflow-artifacts:/3/models/${loggedModelId}/artifacts`);
    expect((await queries.versionsReferencingRun(RUN, READ_ALL)).map((v) => `${v.name}/${v.version}`)).toContain('logged/1');
    // The version's row is what the registry's own events say (a rebuild gives it back): tracking's
    // event changed registry.logged_models only.
    const { rows } = await db.query<{ run_id: string | null }>(`SELECT run_id FROM registry.model_versions WHERE name = 'logged'`);
    expect(rows).toEqual([{ run_id: null }]);
  });

  it('a version references its run_id and the run its source lies in, as tracking and artifacts count them', async () => {
    const inSource = 'd'.repeat(32);
    await commands.createRegisteredModel('two-runs', null, [], meta);
    await newVersion('two-runs', RUN, null, `mlflow-artifacts:/3/${inSource}/artifacts/model`);
    for (const runId of [RUN, inSource]) {
      expect((await queries.versionsReferencingRun(runId, READ_ALL)).map((v) => `${v.name}/${v.version}`)).toContain('two-runs/1');
    }
    expect((await queries.versionsReferencingRun('e'.repeat(32), READ_ALL)).map((v) => v.name)).not.toContain('two-runs');

    // A version naming a run and a logged model references the logged model's source run too.
    const loggedModelId = `m-${'f'.repeat(32)}`;
    const producer = 'f'.repeat(32);
    await db.transaction((tx) =>
      runs.saveLoggedModel(tx, {
        modelId: loggedModelId,
        experimentId: '3',
        sourceRunId: producer,
        artifactLocation: 'mlflow-artifacts:/3/models/m',
        creationTime: 1,
      }),
    );
    await newVersion('two-runs', RUN, loggedModelId);
    expect((await queries.versionsReferencingRun(producer, READ_ALL)).map((v) => `${v.name}/${v.version}`)).toEqual(['two-runs/2']);
  });

  it('tells every listening process of each committed change of a model, and nothing for a refused command', async () => {
    const listener = new AliasNotifications(new Database(testDb.url, { max: 2 }));
    await listener.onModuleInit();
    const seen: AliasChange[] = [];
    listener.onChange((change) => seen.push(change));
    const heard = async (count: number, what: string) => {
      await waitFor(() => (seen.filter((c) => c.name === 'notified').length >= count ? true : undefined), { message: what });
      // Settle: a notification for the refused command would arrive with or before the next one's.
      await new Promise((resolve) => setTimeout(resolve, 200));
      return seen.filter((c) => c.name === 'notified').length;
    };
    try {
      await commands.createRegisteredModel('notified', null, [], meta);
      await newVersion('notified');
      expect(await heard(2, 'creation and the new version')).toBe(2);
      await expect(commands.execute('notified', { type: 'setAlias', alias: 'champion', version: '9' }, meta)).rejects.toMatchObject({
        code: 'RESOURCE_DOES_NOT_EXIST',
      });
      await commands.execute('notified', { type: 'setAlias', alias: 'champion', version: '1' }, meta);
      // The refused alias move sent nothing: one more notice, the committed move's.
      expect(await heard(3, 'the alias move')).toBe(3);
    } finally {
      await listener.onModuleDestroy();
    }
  });
});
