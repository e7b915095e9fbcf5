import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  alreadyExists,
  notFound,
  type EventMetadata,
  type KeyValue,
  type LoggedModelStatus,
  type MetricPoint,
  type RunStatus,
  type TrackingEvent,
} from '@cairn/contracts';
import { isUniqueViolation, type Clock } from '@cairn/eventing';
import { Database, deferUntilCommit, type TransactionClient } from '@cairn/platform';
import { decideCreateExperiment, decideExperiment, type ExperimentCommand } from '../domain/experiment';
import { experimentGcVerdict, runGcVerdict, whyRunStays, type ExperimentGcVerdict, type RunGcVerdict } from '../domain/lifecycle';
import { decideCreateLoggedModel, decideLoggedModel, type LoggedModelCommand } from '../domain/logged-model';
import { decideCreateRun, decideRun, type RunCommand } from '../domain/run';
import { generateRunName } from '../domain/run-names';
import { project } from '../infra/projection';
import { TrackingStore } from '../infra/tracking-store';
import { TRACKING_CLOCK, TRACKING_EVENT_LOG, type TrackingEventLog } from './ports';

const newRunId = () => randomUUID().replace(/-/g, '');

/**
 * Command handlers: load the aggregate's state (row-locked), decide events with the pure deciders,
 * then in the same transaction append them to the event log and apply them to the read model.
 */
@Injectable()
export class TrackingCommands {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(TrackingStore) private readonly store: TrackingStore,
    @Inject(TRACKING_EVENT_LOG) private readonly log: TrackingEventLog,
    @Inject(TRACKING_CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Appends `events`, applies them to the read model and, for experiments and logged models, records
   * the aggregate's new version. A run's writers pass no `version` (undefined): each of them holds
   * the run's row lock from deciding to commit, so they are already serialized, and the append
   * numbers the events after the stored ones (a version read with the lock could even be stale: the
   * locking statement's snapshot predates the commit it waited for). Run creation passes 0.
   */
  private async commit(
    tx: TransactionClient,
    aggregate: 'run' | 'experiment' | 'loggedModel',
    id: string,
    version: number | undefined,
    events: TrackingEvent[],
    metadata: EventMetadata,
  ): Promise<void> {
    if (events.length === 0) return;
    if (aggregate === 'run' && version === undefined) {
      // A run's writer: the append and the metric projection go with the COMMIT, one round trip for
      // all three (nothing after them reads what they write). Other projections run here as before.
      this.log.appendAtCommit(tx, events, metadata);
      for (const event of events) await project(tx, event, (statement) => deferUntilCommit(tx, statement));
      return;
    }
    await this.log.append(tx, id, version, events, metadata);
    for (const event of events) await project(tx, event);
    if (aggregate !== 'run') await this.store.setVersion(tx, aggregate, id, (version ?? 0) + events.length);
  }

  // ---- experiments -----------------------------------------------------------------------------

  async createExperiment(cmd: { name: string; artifactLocation?: string; tags: KeyValue[] }, metadata: EventMetadata): Promise<string> {
    try {
      return await this.db.transaction(async (tx) => {
        const experimentId = await this.store.nextExperimentId(tx);
        const events = decideCreateExperiment({
          experimentId,
          name: cmd.name,
          artifactLocation: cmd.artifactLocation ?? `mlflow-artifacts:/${experimentId}`,
          tags: cmd.tags,
          now: this.clock.now(),
          nameHolder: await this.store.nameHolder(tx, cmd.name),
        });
        await this.commit(tx, 'experiment', experimentId, 0, events, metadata);
        return experimentId;
      });
    } catch (error) {
      // Two concurrent creates of one name: the loser sees the unique index, as in MLflow's SQL store.
      if (isUniqueViolation(error)) throw alreadyExists(`Experiment '${cmd.name}' already exists.`);
      throw error;
    }
  }

  async onExperiment(experimentId: string, build: (tx: TransactionClient) => Promise<ExperimentCommand>, metadata: EventMetadata): Promise<void> {
    try {
      await this.db.transaction(async (tx) => {
        const loaded = await this.store.lockExperiment(tx, experimentId);
        const events = decideExperiment(loaded?.state ?? null, experimentId, await build(tx));
        await this.commit(tx, 'experiment', experimentId, loaded?.version ?? 0, events, metadata);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw alreadyExists('An experiment with that name already exists.');
      throw error;
    }
  }

  renameExperiment(experimentId: string, newName: string, metadata: EventMetadata) {
    return this.onExperiment(
      experimentId,
      async (tx) => ({ kind: 'rename', newName, nameHolder: await this.store.nameHolder(tx, newName), now: this.clock.now() }),
      metadata,
    );
  }

  deleteExperiment(experimentId: string, metadata: EventMetadata) {
    return this.onExperiment(
      experimentId,
      async (tx) => ({ kind: 'delete', runIds: await this.store.runIdsOfExperiment(tx, experimentId), now: this.clock.now() }),
      metadata,
    );
  }

  restoreExperiment(experimentId: string, metadata: EventMetadata) {
    return this.onExperiment(
      experimentId,
      async (tx) => ({ kind: 'restore', runIds: await this.store.runIdsOfExperiment(tx, experimentId), now: this.clock.now() }),
      metadata,
    );
  }

  setExperimentTag(experimentId: string, key: string, value: string, metadata: EventMetadata) {
    return this.onExperiment(experimentId, async () => ({ kind: 'setTag', key, value }), metadata);
  }

  deleteExperimentTag(experimentId: string, key: string, metadata: EventMetadata) {
    return this.onExperiment(experimentId, async () => ({ kind: 'deleteTag', key }), metadata);
  }

  // ---- runs ------------------------------------------------------------------------------------

  async createRun(
    cmd: { experimentId: string; userId: string; startTime?: number; runName?: string; tags: KeyValue[] },
    metadata: EventMetadata,
  ): Promise<string> {
    const runId = newRunId();
    await this.db.transaction(async (tx) => {
      const experiment = await this.store.lockExperiment(tx, cmd.experimentId, 'share');
      const events = decideCreateRun({
        runId,
        experiment: experiment ? { ...experiment.state, artifactLocation: experiment.artifactLocation } : null,
        requestedExperimentId: cmd.experimentId,
        userId: cmd.userId,
        startTime: cmd.startTime ?? this.clock.now(),
        runName: cmd.runName,
        tags: cmd.tags,
        generatedName: generateRunName(),
      });
      await this.commit(tx, 'run', runId, 0, events, metadata);
      this.store.recordRunActivityAtCommit(tx, runId, this.clock.now(), null);
    });
    return runId;
  }

  /** Runs `cmd` against the row-locked run; the lock serializes writers of one run. */
  async onRun(runId: string, cmd: RunCommand, metadata: EventMetadata, keys: { params?: string[]; tags?: string[] } = {}): Promise<void> {
    const opening = this.store.lockRunOpening(runId);
    await this.db.transaction(
      async (tx, opened) => {
        const loaded = await this.store.lockRun(tx, runId, keys.params, keys.tags, opening === undefined ? undefined : opened);
        if (!loaded) throw notFound(`Run with id=${runId} not found`);
        const events = decideRun(loaded.state, cmd);
        await this.commit(tx, 'run', runId, undefined, events, metadata);
        // Every write is a sign of life, even one that changed nothing (a param re-logged by a retry).
        this.store.recordRunActivityAtCommit(tx, runId, this.clock.now(), loaded.lastActivityMs);
      },
      { opening },
    );
  }

  /**
   * The orphan reaper's command: closes the run as KILLED (with a `cairn.reaped_reason` tag) only if,
   * under its row lock, it is still RUNNING and silent for `orphanTimeoutMs`. A write or heartbeat
   * that committed first moved `last_activity_ms` on, so the run is left alone. True if it was reaped.
   */
  async reapRun(runId: string, orphanTimeoutMs: number, metadata: EventMetadata): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const loaded = await this.store.lockRun(tx, runId);
      if (!loaded) return false;
      const events = decideRun(loaded.state, { kind: 'reap', now: this.clock.now(), orphanTimeoutMs, lastActivityMs: loaded.lastActivityMs });
      await this.commit(tx, 'run', runId, undefined, events, metadata);
      return events.length > 0;
    });
  }

  /**
   * Garbage collection of one run, decided under its row lock (a concurrent restore or a model
   * version registered meanwhile wins). Null when the run is already gone.
   */
  async purgeRun(runId: string, cutoff: number, metadata: EventMetadata): Promise<RunGcVerdict | null> {
    return this.db.transaction(async (tx) => {
      const loaded = await this.store.lockRun(tx, runId);
      if (!loaded) return null;
      const references = (await this.store.referencesTo([runId], tx)).get(runId) ?? [];
      const events = decideRun(loaded.state, { kind: 'purge', cutoff, references });
      await this.commit(tx, 'run', runId, undefined, events, metadata);
      return runGcVerdict(loaded.state, references, cutoff);
    });
  }

  /** Garbage collection of one experiment: only once no run of it is left. Null when it is already gone. */
  async purgeExperiment(experimentId: string, cutoff: number, metadata: EventMetadata): Promise<ExperimentGcVerdict | null> {
    return this.db.transaction(async (tx) => {
      // FOR UPDATE keeps restores out; run creation in a deleted experiment is refused anyway.
      const loaded = await this.store.lockExperiment(tx, experimentId);
      if (!loaded) return null;
      const left = await this.store.runsLeftInExperiment(experimentId, 11, tx);
      const references = await this.store.referencesTo(
        left.map((r) => r.runId),
        tx,
      );
      // Any run still here blocks the purge, even one due: a later pass purges it first.
      const remainingRuns = left.map((r) => ({ runId: r.runId, why: whyRunStays(r, references.get(r.runId) ?? [], cutoff) ?? 'it is due but not purged yet' }));
      const events = decideExperiment(loaded.state, experimentId, { kind: 'purge', cutoff, deletedTime: loaded.deletedTime, remainingRuns });
      await this.commit(tx, 'experiment', experimentId, loaded.version, events, metadata);
      return experimentGcVerdict({ lifecycleStage: loaded.state.lifecycleStage, deletedTime: loaded.deletedTime }, remainingRuns, cutoff);
    });
  }

  updateRun(runId: string, patch: { status?: RunStatus; endTime?: number; runName?: string }, metadata: EventMetadata) {
    return this.onRun(runId, { kind: 'update', ...patch }, metadata);
  }

  deleteRun(runId: string, metadata: EventMetadata) {
    return this.onRun(runId, { kind: 'delete', now: this.clock.now() }, metadata);
  }

  restoreRun(runId: string, metadata: EventMetadata) {
    return this.onRun(runId, { kind: 'restore' }, metadata);
  }

  logBatch(runId: string, batch: { metrics: MetricPoint[]; params: KeyValue[]; tags: KeyValue[] }, metadata: EventMetadata) {
    return this.onRun(runId, { kind: 'logBatch', ...batch }, metadata, { params: batch.params.map((p) => p.key) });
  }

  deleteTag(runId: string, key: string, metadata: EventMetadata) {
    return this.onRun(runId, { kind: 'deleteTag', key }, metadata, { tags: [key] });
  }

  logInputs(runId: string, inputs: Omit<Extract<RunCommand, { kind: 'logInputs' }>, 'kind'>, metadata: EventMetadata) {
    return this.onRun(runId, { kind: 'logInputs', ...inputs }, metadata);
  }

  logOutputs(runId: string, models: { modelId: string; step: number }[], metadata: EventMetadata) {
    return this.onRun(runId, { kind: 'logOutputs', models }, metadata);
  }

  logModel(runId: string, model: Record<string, unknown>, metadata: EventMetadata) {
    return this.onRun(runId, { kind: 'logModel', model }, metadata);
  }

  // ---- logged models (3.x) ---------------------------------------------------------------------

  async createLoggedModel(
    cmd: { experimentId: string; name?: string; modelType?: string; sourceRunId?: string; params: KeyValue[]; tags: KeyValue[] },
    metadata: EventMetadata,
  ): Promise<string> {
    const modelId = `m-${newRunId()}`;
    await this.db.transaction(async (tx) => {
      const experiment = await this.store.lockExperiment(tx, cmd.experimentId, 'share');
      const events = decideCreateLoggedModel({
        modelId,
        experiment: experiment ? { ...experiment.state, artifactLocation: experiment.artifactLocation } : null,
        requestedExperimentId: cmd.experimentId,
        name: cmd.name || generateRunName(),
        ...(cmd.modelType !== undefined ? { modelType: cmd.modelType } : {}),
        ...(cmd.sourceRunId !== undefined ? { sourceRunId: cmd.sourceRunId } : {}),
        params: cmd.params,
        tags: cmd.tags,
        now: this.clock.now(),
      });
      await this.commit(tx, 'loggedModel', modelId, 0, events, metadata);
    });
    return modelId;
  }

  async onLoggedModel(modelId: string, cmd: LoggedModelCommand, metadata: EventMetadata): Promise<void> {
    await this.db.transaction(async (tx) => {
      const loaded = await this.store.lockLoggedModel(tx, modelId);
      const events = decideLoggedModel(loaded?.state ?? null, modelId, cmd);
      await this.commit(tx, 'loggedModel', modelId, loaded?.version ?? 0, events, metadata);
    });
  }

  finalizeLoggedModel(modelId: string, status: LoggedModelStatus, metadata: EventMetadata) {
    return this.onLoggedModel(modelId, { kind: 'finalize', status, now: this.clock.now() }, metadata);
  }

  deleteLoggedModel(modelId: string, metadata: EventMetadata) {
    return this.onLoggedModel(modelId, { kind: 'delete', now: this.clock.now() }, metadata);
  }

  setLoggedModelTags(modelId: string, tags: KeyValue[], metadata: EventMetadata) {
    return this.onLoggedModel(modelId, { kind: 'setTags', tags, now: this.clock.now() }, metadata);
  }

  deleteLoggedModelTag(modelId: string, key: string, metadata: EventMetadata) {
    return this.onLoggedModel(modelId, { kind: 'deleteTag', key, now: this.clock.now() }, metadata);
  }

  logLoggedModelParams(modelId: string, params: KeyValue[], metadata: EventMetadata) {
    return this.onLoggedModel(modelId, { kind: 'logParams', params, now: this.clock.now() }, metadata);
  }
}
