import { REGISTRY_EVENT_TYPES as R, type EventMetadata, type RegistryEvent } from '@cairn/contracts';
import { consumerReplay, EventStore, replayLog, snapshotTables, type TableSnapshot } from '@cairn/eventing';
import { Database } from '@cairn/platform';
import { createTestDatabase, type TestDatabase } from '@cairn/testing';
import { registryReferencesSubscription } from './application/registry-references.consumer';
import { TrackingCommands } from './application/tracking-commands';
import { TrackingQueries } from './application/tracking-queries';
import { rebuildTrackingReadModel, TRACKING_CONSUMED_TABLES, TRACKING_READ_MODEL_TABLES } from './infra/read-model-rebuild';
import { RunReferenceRepository } from './infra/run-reference.repository';
import { TrackingStore } from './infra/tracking-store';

const meta: EventMetadata = { actor: 'test', correlationId: null, causationId: null };

// Every column of every table, except one surrogate key: a chunk's id is drawn from a sequence by
// whoever writes it, so a replay numbers chunks anew; what the reads depend on is their order within
// a series (history pages and ties in (step, timestamp) follow it), and that is compared instead.
const TABLES: Array<string | TableSnapshot> = [...TRACKING_READ_MODEL_TABLES, ...TRACKING_CONSUMED_TABLES].map((table) =>
  table === 'tracking.metric_chunks' ? { table, orderWithin: { column: 'chunk_id', partition: ['run_uuid', 'key'] } } : table,
);

describe('tracking: rebuilding the read model from the event logs', () => {
  let testDb: TestDatabase;
  let db: Database;
  let commands: TrackingCommands;
  let queries: TrackingQueries;
  let now = Date.parse('2026-01-01T00:00:00Z');

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: true });
    db = new Database(testDb.url, { max: 10 });
    const store = new TrackingStore(db);
    commands = new TrackingCommands(db, store, new EventStore(), { now: () => (now += 1000) });
    queries = new TrackingQueries(db, store);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  /** Registry events as the registry appends them, delivered to tracking's consumer as the bus would. */
  const registryEvents = async (events: RegistryEvent[]) => {
    const before = (await db.query<{ n: string }>('SELECT count(*) AS n FROM registry.events')).rows[0]?.n;
    await db.transaction((tx) => new EventStore().append(tx, 'registry', events, meta));
    let seen = 0;
    await db.transaction((tx) =>
      replayLog(tx, 'registry', async (envelope) => {
        if (seen++ >= Number(before)) await consumerReplay(registryReferencesSubscription(new RunReferenceRepository()), 'registry', tx).apply(envelope);
      }),
    );
  };
  const versionCreated = (modelId: string, version: string, fields: { runId?: string; source?: string; loggedModelId?: string }): RegistryEvent => ({
    type: R.modelVersionCreated,
    aggregateId: modelId,
    data: {
      modelId,
      name: 'clf',
      version,
      timestamp: now,
      source: fields.source ?? 'models:/elsewhere/1',
      runId: fields.runId ?? null,
      runLink: null,
      loggedModelId: fields.loggedModelId ?? null,
      description: null,
      userId: null,
      tags: [],
    },
  });

  it('gives back every row, ids included, and the commands carry on after it', async () => {
    const experimentId = await commands.createExperiment({ name: 'rebuilt', tags: [{ key: 'team', value: 'ml' }] }, meta);
    await commands.setExperimentTag(experimentId, 'stage', 'dev', meta);
    await commands.deleteExperimentTag(experimentId, 'team', meta);
    await commands.renameExperiment(experimentId, 'rebuilt-2', meta);

    const run = await commands.createRun({ experimentId, userId: 'ana', runName: 'first', tags: [{ key: 'k', value: 'v' }] }, meta);
    const modelId = await commands.createLoggedModel(
      { experimentId, name: 'm', modelType: 'sklearn', sourceRunId: run, params: [{ key: 'alpha', value: '1' }], tags: [{ key: 't', value: '1' }] },
      meta,
    );
    // A chunked history (several chunks per key, points naming the logged model and a dataset), NaN and ±Inf.
    for (let batch = 0; batch < 3; batch++) {
      const metrics = Array.from({ length: 300 }, (_, i) => ({ key: 'loss', value: 1 / (batch * 300 + i + 1), timestamp: now + i, step: batch * 300 + i }));
      await commands.logBatch(run, { metrics, params: [{ key: `p${batch}`, value: String(batch) }], tags: [{ key: 'batch', value: String(batch) }] }, meta);
    }
    await commands.logBatch(
      run,
      {
        metrics: [
          { key: 'acc', value: 'NaN', timestamp: 5, step: 1 },
          { key: 'acc', value: 'Infinity', timestamp: 5, step: 2, modelId, datasetName: 'train', datasetDigest: 'd1' },
          { key: 'acc', value: 0.9, timestamp: 6, step: 2, modelId },
        ],
        params: [],
        tags: [],
      },
      meta,
    );
    await commands.deleteTag(run, 'k', meta);
    const dataset = { name: 'train', digest: 'd1', sourceType: 'local', source: '/data/train', schema: '{"a":1}', profile: '{"rows":3}' };
    await commands.logInputs(run, { datasets: [{ ...dataset, tags: [{ key: 'mlflow.data.context', value: 'training' }] }], modelIds: [modelId] }, meta);
    await commands.logOutputs(run, [{ modelId, step: 3 }], meta);
    await commands.logModel(run, { artifact_path: 'model', flavors: { sklearn: {} } }, meta);
    await commands.setLoggedModelTags(
      modelId,
      [
        { key: 't', value: '2' },
        { key: 'u', value: 'x' },
      ],
      meta,
    );
    await commands.deleteLoggedModelTag(modelId, 'u', meta);
    await commands.logLoggedModelParams(modelId, [{ key: 'beta', value: '2' }], meta);
    await commands.finalizeLoggedModel(modelId, 'LOGGED_MODEL_READY', meta);
    await commands.updateRun(run, { status: 'FINISHED', endTime: now, runName: 'renamed' }, meta);

    // A second run, in another experiment, using the same dataset: one dataset row per experiment.
    const other = await commands.createExperiment({ name: 'other', tags: [] }, meta);
    const second = await commands.createRun({ experimentId: other, userId: 'bo', tags: [] }, meta);
    await commands.logInputs(second, { datasets: [{ ...dataset, tags: [] }], modelIds: [] }, meta);
    await commands.deleteRun(second, meta);
    await commands.restoreRun(second, meta);
    // Deleted, then purged: its rows go, and the replay must remove them too.
    const purged = await commands.createRun({ experimentId: other, userId: 'bo', tags: [] }, meta);
    await commands.logBatch(purged, { metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }], params: [{ key: 'a', value: 'b' }], tags: [] }, meta);
    await commands.logInputs(purged, { datasets: [{ ...dataset, digest: 'd2', tags: [{ key: 'x', value: 'y' }] }], modelIds: [] }, meta);
    await commands.deleteRun(purged, meta);
    expect(await commands.purgeRun(purged, now + 1, meta)).not.toBeNull();
    const deletedModel = await commands.createLoggedModel({ experimentId: other, params: [], tags: [] }, meta);
    await commands.deleteLoggedModel(deletedModel, meta);
    await commands.deleteExperiment(other, meta);
    await commands.restoreExperiment(other, meta);

    // What tracking learnt from the registry: versions referencing the run (one through its logged model).
    await registryEvents([
      versionCreated('rm-1', '1', { runId: run, source: `runs:/${run}/model` }),
      versionCreated('rm-1', '2', { loggedModelId: modelId, source: `models:/${modelId}` }),
      versionCreated('rm-1', '3', { source: `mlflow-artifacts:/${experimentId}/${second}/artifacts/model` }),
      {
        type: R.modelVersionDeleted,
        aggregateId: 'rm-1',
        data: { modelId: 'rm-1', name: 'clf', version: '3', timestamp: now, stage: 'None', runId: null, loggedModelId: null, aliasesRemoved: [] },
      },
      { type: R.registeredModelRenamed, aggregateId: 'rm-1', data: { modelId: 'rm-1', name: 'clf', newName: 'clf-2', timestamp: now } },
    ]);

    const before = await snapshotTables(db, TABLES);
    expect(before['tracking.metric_chunks']?.length).toBeGreaterThan(3);
    expect(before['tracking.datasets']).toHaveLength(3); // datasets belong to the experiment: a purged run's stays
    expect(before['tracking.input_tags']).toHaveLength(1);
    expect(before['tracking.run_references']).toHaveLength(2);
    expect(before['tracking.logged_model_metrics']).toHaveLength(2);
    const runBefore = await queries.run(run);

    const applied = await db.transaction((tx) => rebuildTrackingReadModel(tx));
    expect(applied).toEqual({
      tracking: Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM tracking.events')).rows[0]?.n),
      registry: 5,
    });
    expect(await snapshotTables(db, TABLES)).toEqual(before);
    expect(await queries.run(run)).toEqual(runBefore);

    // The aggregate versions came back: the next command appends after the replayed events.
    await commands.renameExperiment(experimentId, 'rebuilt-3', meta);
    await commands.setLoggedModelTags(modelId, [{ key: 'after', value: 'rebuild' }], meta);
    await commands.logBatch(run, { metrics: [], params: [], tags: [{ key: 'after', value: 'rebuild' }] }, meta);
    expect((await queries.experiment(experimentId)).name).toBe('rebuilt-3');
  }, 60_000);
});
