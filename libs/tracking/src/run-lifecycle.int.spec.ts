import { randomUUID } from 'node:crypto';
import { REGISTRY_EVENT_TYPES as R, type EventEnvelope, type EventMetadata, type RegistryEvent } from '@cairn/contracts';
import { EventStore } from '@cairn/eventing';
import { Database } from '@cairn/platform';
import { createTestDatabase, waitFor, type TestDatabase } from '@cairn/testing';
import { registryReferencesSubscription } from './application/registry-references.consumer';
import { RunLifecycle } from './application/run-lifecycle';
import { TrackingCommands } from './application/tracking-commands';
import { TrackingQueries } from './application/tracking-queries';
import { DAY_MS } from './domain/lifecycle';
import { RunReferenceRepository } from './infra/run-reference.repository';
import { TrackingStore } from './infra/tracking-store';

const meta: EventMetadata = { actor: 'test', correlationId: null, causationId: null };
const HOUR = 3_600_000;

describe('run lifecycle on real Postgres: heartbeats, orphan reaper, retention GC', () => {
  let testDb: TestDatabase;
  let db: Database;
  let commands: TrackingCommands;
  let queries: TrackingQueries;
  let lifecycle: RunLifecycle;
  let store: TrackingStore;
  // A clock the test moves; retention 30 days, orphan timeout 1 hour.
  let now = Date.now();
  const clock = { now: () => now };

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: true });
    db = new Database(testDb.url, { max: 20 });
    store = new TrackingStore(db);
    commands = new TrackingCommands(db, store, new EventStore(), clock);
    queries = new TrackingQueries(db, store);
    lifecycle = new RunLifecycle(commands, store, clock, { orphanTimeoutMs: HOUR, retentionDays: 30 });
  }, 60_000);

  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  const newExperiment = () => commands.createExperiment({ name: `e-${randomUUID()}`, tags: [] }, meta);
  const newRun = (experimentId: string) => commands.createRun({ experimentId, userId: 'u', tags: [] }, meta);
  const eventsOf = async (aggregateId: string) =>
    (
      await db.query<{ type: string; data: Record<string, unknown> }>(
        `SELECT type, data FROM tracking.events WHERE aggregate_id = $1 ORDER BY aggregate_version`,
        [aggregateId],
      )
    ).rows;

  /** Delivers a registry event to tracking's consumer as the bus does: in one transaction with the inbox mark. */
  const deliver = (event: RegistryEvent) => {
    const envelope: EventEnvelope = {
      eventId: randomUUID(),
      type: event.type,
      context: 'registry',
      aggregateId: event.aggregateId,
      aggregateVersion: 1,
      occurredAt: new Date().toISOString(),
      actor: 'test',
      correlationId: null,
      causationId: null,
      data: event.data,
    };
    const subscription = registryReferencesSubscription(new RunReferenceRepository());
    return db.transaction((tx) => subscription.handler(envelope, tx, { consumer: subscription.consumer, topic: 'registry', attempt: 1 }));
  };
  const versionCreated = (
    modelId: string,
    name: string,
    version: string,
    fields: { runId?: string; source?: string; loggedModelId?: string },
  ): RegistryEvent => ({
    type: R.modelVersionCreated,
    aggregateId: modelId,
    data: {
      modelId,
      name,
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

  describe('heartbeats and the orphan reaper', () => {
    it('a heartbeat answers the run status and keeps a silent run alive; an unknown run is RESOURCE_DOES_NOT_EXIST', async () => {
      const experimentId = await newExperiment();
      const runId = await newRun(experimentId);
      now += 50 * 60_000;
      expect(await lifecycle.heartbeat(runId)).toBe('RUNNING');
      now += 50 * 60_000; // 100 min after the last write, 50 after the heartbeat
      expect(await lifecycle.reapOrphans({ dryRun: false }, meta)).not.toContain(runId);
      expect((await queries.run(runId)).status).toBe('RUNNING');
      await expect(lifecycle.heartbeat('f'.repeat(32))).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    });

    it('closes a run silent for the timeout as KILLED at its last activity, with the reason tag and events; dry runs change nothing', async () => {
      const experimentId = await newExperiment();
      const silent = await newRun(experimentId);
      const lastWrite = now;
      await commands.logBatch(silent, { metrics: [{ key: 'loss', value: 1, timestamp: now, step: 0 }], params: [], tags: [] }, meta);
      const busy = await newRun(experimentId);
      now += HOUR - 1;
      await commands.logBatch(busy, { metrics: [], params: [{ key: 'lr', value: '0.1' }], tags: [] }, meta);
      now += 2;

      expect(await lifecycle.reapOrphans({ dryRun: true }, meta)).toContain(silent);
      expect((await queries.run(silent)).status).toBe('RUNNING');

      const reaped = await lifecycle.reapOrphans({ dryRun: false }, meta);
      expect(reaped).toContain(silent);
      expect(reaped).not.toContain(busy);
      const run = await queries.run(silent);
      expect(run).toMatchObject({ status: 'KILLED', endTime: lastWrite });
      expect(run.tags).toContainEqual({ key: 'cairn.reaped_reason', value: 'no heartbeat or write for 3600 s (orphan timeout 3600 s)' });
      expect((await eventsOf(silent)).slice(-2)).toEqual([
        { type: 'tracking.run.updated.v1', data: { runId: silent, status: 'KILLED', endTime: lastWrite } },
        { type: 'tracking.tags.set.v1', data: { runId: silent, tags: [{ key: 'cairn.reaped_reason', value: expect.any(String) }] } },
      ]);
      // Reaping again finds nothing to do.
      expect(await lifecycle.reapOrphans({ dryRun: false }, meta)).not.toContain(silent);
      expect((await queries.run(busy)).status).toBe('RUNNING');
    });

    it('a write holding the run while the reaper decides wins: the reaper re-reads activity under the row lock', async () => {
      const experimentId = await newExperiment();
      const runId = await newRun(experimentId);
      now += 2 * HOUR;
      const client = await db.pool.connect();
      try {
        await client.query('BEGIN');
        // What a concurrent log-batch does: lock the run, then record its activity.
        await client.query('SELECT 1 FROM tracking.runs WHERE run_uuid = $1 FOR UPDATE', [runId]);
        const reaping = commands.reapRun(runId, HOUR, meta);
        await waitFor(
          async () =>
            ((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`))
              .rows[0]?.n ?? 0) > 0 || undefined,
          { message: 'the reaper waiting on the run lock' },
        );
        await client.query('UPDATE tracking.runs SET last_activity_ms = $2 WHERE run_uuid = $1', [runId, now]);
        await client.query('COMMIT');
        expect(await reaping).toBe(false);
      } finally {
        client.release();
      }
      expect((await queries.run(runId)).status).toBe('RUNNING');
    });
  });

  describe('retention and garbage collection', () => {
    it('purges a deleted run after the retention: gone from reads and the read model, a run.purged event goes out', async () => {
      const experimentId = await newExperiment();
      const expired = await newRun(experimentId);
      await commands.logBatch(
        expired,
        { metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }], params: [{ key: 'lr', value: '0.1' }], tags: [{ key: 't', value: 'v' }] },
        meta,
      );
      await commands.logInputs(
        expired,
        { datasets: [{ name: 'd', digest: 'x', sourceType: 'local', source: '/d', tags: [{ key: 'mlflow.data.context', value: 'train' }] }], modelIds: [] },
        meta,
      );
      await commands.deleteRun(expired, meta);
      now += 31 * DAY_MS;
      const fresh = await newRun(experimentId);
      await commands.deleteRun(fresh, meta);

      const dry = await lifecycle.collectGarbage({ dryRun: true }, meta);
      expect(dry).toMatchObject({ dryRun: true });
      expect(dry.purgedRuns).toContain(expired);
      expect((await queries.run(expired)).lifecycleStage).toBe('deleted');

      const report = await lifecycle.collectGarbage({ dryRun: false }, meta);
      expect(report.purgedRuns).toContain(expired);
      expect(report.purgedRuns).not.toContain(fresh);
      await expect(queries.run(expired)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      for (const table of ['runs', 'metric_chunks', 'latest_metrics', 'params', 'tags']) {
        expect({ table, rows: (await db.query(`SELECT 1 FROM tracking.${table} WHERE run_uuid = $1`, [expired])).rowCount }).toEqual({ table, rows: 0 });
      }
      expect((await db.query(`SELECT 1 FROM tracking.inputs WHERE destination_id = $1`, [expired])).rowCount).toBe(0);
      const [purged] = (await eventsOf(expired)).slice(-1);
      expect(purged).toEqual({ type: 'tracking.run.purged.v1', data: { runId: expired, experimentId, deletedTime: expect.any(Number) } });
      const { rows } = await db.query(
        `SELECT 1 FROM tracking.outbox o JOIN tracking.events e USING (global_position) WHERE e.aggregate_id = $1 AND e.type = 'tracking.run.purged.v1'`,
        [expired],
      );
      expect(rows).toHaveLength(1);
      // Still restorable within the retention.
      await commands.restoreRun(fresh, meta);
      expect((await queries.run(fresh)).lifecycleStage).toBe('active');
    });

    it('refuses a run a live model version references (by run_id, by source, through a logged model), naming the versions, until they go', async () => {
      const experimentId = await newExperiment();
      const [byRunId, bySource, byArtifactPath, byLoggedModel] = [
        await newRun(experimentId),
        await newRun(experimentId),
        await newRun(experimentId),
        await newRun(experimentId),
      ];
      const loggedModelId = await commands.createLoggedModel({ experimentId, sourceRunId: byLoggedModel, params: [], tags: [] }, meta);
      await deliver(versionCreated('mid-1', 'churn', '1', { runId: byRunId, source: `runs:/${byRunId}/model` }));
      await deliver(versionCreated('mid-1', 'churn', '2', { source: `runs:/${bySource}/model` }));
      await deliver(versionCreated('mid-2', 'fraud', '1', { source: `mlflow-artifacts:/${experimentId}/${byArtifactPath}/artifacts/model` }));
      await deliver(versionCreated('mid-2', 'fraud', '2', { loggedModelId, source: `models:/${loggedModelId}` }));
      await deliver({ type: R.registeredModelRenamed, aggregateId: 'mid-2', data: { modelId: 'mid-2', name: 'fraud', newName: 'fraud-v2', timestamp: now } });
      for (const runId of [byRunId, bySource, byArtifactPath, byLoggedModel]) await commands.deleteRun(runId, meta);

      const report = await lifecycle.collectGarbage({ dryRun: false, olderThanDays: 0 }, meta);
      expect(report.purgedRuns).toEqual(expect.not.arrayContaining([byRunId, bySource, byArtifactPath, byLoggedModel]));
      expect(report.skipped).toEqual(
        expect.arrayContaining([
          { runId: byRunId, reason: 'referenced by registered model version churn/1', modelVersions: [{ name: 'churn', version: '1' }] },
          { runId: bySource, reason: 'referenced by registered model version churn/2', modelVersions: [{ name: 'churn', version: '2' }] },
          { runId: byArtifactPath, reason: 'referenced by registered model version fraud-v2/1', modelVersions: [{ name: 'fraud-v2', version: '1' }] },
          { runId: byLoggedModel, reason: 'referenced by registered model version fraud-v2/2', modelVersions: [{ name: 'fraud-v2', version: '2' }] },
        ]),
      );
      expect((await queries.run(byRunId)).lifecycleStage).toBe('deleted');

      // The version goes, and with the model the rest: the next pass purges them.
      await deliver({
        type: R.modelVersionDeleted,
        aggregateId: 'mid-1',
        data: { modelId: 'mid-1', name: 'churn', version: '1', timestamp: now, stage: 'None', runId: byRunId, loggedModelId: null, aliasesRemoved: [] },
      });
      await deliver({
        type: R.registeredModelDeleted,
        aggregateId: 'mid-2',
        data: { modelId: 'mid-2', name: 'fraud-v2', timestamp: now, versions: [], aliases: [] },
      });
      const next = await lifecycle.collectGarbage({ dryRun: false, olderThanDays: 0 }, meta);
      expect(next.purgedRuns).toEqual(expect.arrayContaining([byRunId, byArtifactPath, byLoggedModel]));
      expect(next.skipped.map((s) => s.runId)).toContain(bySource);
    });

    it('purges a deleted experiment once all its runs are; one referenced run keeps it, and GC says why', async () => {
      const free = await newExperiment();
      const freeRuns = [await newRun(free), await newRun(free)];
      const held = await newExperiment();
      const heldRun = await newRun(held);
      await deliver(versionCreated(`mid-${held}`, 'held', '1', { runId: heldRun }));
      await commands.deleteExperiment(free, meta);
      await commands.deleteExperiment(held, meta);

      const dry = await lifecycle.collectGarbage({ dryRun: true, olderThanDays: 0 }, meta);
      expect(dry.purgedExperiments).toContain(free);
      expect(dry.skippedExperiments).toContainEqual({
        experimentId: held,
        reason: `run ${heldRun} is not purged: referenced by registered model version held/1`,
      });
      expect((await queries.experiment(free)).lifecycleStage).toBe('deleted');

      const report = await lifecycle.collectGarbage({ dryRun: false, olderThanDays: 0 }, meta);
      expect(report.purgedRuns).toEqual(expect.arrayContaining(freeRuns));
      expect(report.purgedExperiments).toContain(free);
      expect(report.purgedExperiments).not.toContain(held);
      expect(report.skippedExperiments).toContainEqual({
        experimentId: held,
        reason: `run ${heldRun} is not purged: referenced by registered model version held/1`,
      });
      await expect(queries.experiment(free)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      expect((await eventsOf(free)).at(-1)).toEqual({ type: 'tracking.experiment.purged.v1', data: { experimentId: free, deletedTime: expect.any(Number) } });
      // The held experiment can still be restored, its run with it.
      await commands.restoreExperiment(held, meta);
      expect((await queries.run(heldRun)).lifecycleStage).toBe('active');
    });

    it('a deleted experiment within the retention stays restorable', async () => {
      const experimentId = await newExperiment();
      const runId = await newRun(experimentId);
      await commands.deleteExperiment(experimentId, meta);
      const report = await lifecycle.collectGarbage({ dryRun: false }, meta);
      expect(report.purgedExperiments).not.toContain(experimentId);
      expect(report.purgedRuns).not.toContain(runId);
      await commands.restoreExperiment(experimentId, meta);
      expect((await queries.run(runId)).lifecycleStage).toBe('active');
    });
  });
});
