import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  alreadyExists,
  CairnError,
  notFound,
  type EventMetadata,
  type KeyValue,
  type LoggedModelStatus,
  type MetricPoint,
  type RunStatus,
  type TrackingEvent,
} from '@cairn/contracts';
import type { QueryResultRow } from 'pg';
import { CommandHandler, ConcurrencyError, EventStore, isUniqueViolation, type Clock, type Loaded } from '@cairn/eventing';
import { Database, type NamedStatement, type UnitOfWork } from '@cairn/platform';
import { decideCreateExperiment, decideExperiment, type ExperimentCommand } from '../domain/experiment';
import { experimentGcVerdict, runGcVerdict, whyRunStays, type ExperimentGcVerdict, type RunGcVerdict } from '../domain/lifecycle';
import { decideCreateLoggedModel, decideLoggedModel, type LoggedModelCommand } from '../domain/logged-model';
import { decideCreateRun, decideRun, type RunCommand } from '../domain/run';
import { generateRunName } from '../domain/run-names';
import { project } from '../infra/projection';
import { TrackingStore } from '../infra/tracking-store';
import { TRACKING_CLOCK } from './ports';

const newRunId = () => randomUUID().replace(/-/g, '');

/** A ConcurrencyError that outlived the handler's retries: the read model and the log disagree. */
export const conflict = (error: ConcurrencyError) =>
  new CairnError('RESOURCE_CONFLICT', `Concurrent update of ${error.aggregateIds.join(', ')}; retry the request.`);

type TrackingAggregate = 'run' | 'experiment' | 'loggedModel';

/**
 * Command handlers: load the aggregate's state (row-locked) in the unit of work, decide events with
 * the pure deciders, then in the same transaction append them to the event log and apply them to
 * the read model — through the loop every context shares (`CommandHandler`).
 */
@Injectable()
export class TrackingCommands {
  private readonly handler: CommandHandler;

  constructor(
    @Inject(Database) db: Database,
    @Inject(TrackingStore) private readonly store: TrackingStore,
    @Inject(EventStore) eventStore: EventStore,
    @Inject(TRACKING_CLOCK) private readonly clock: Clock,
  ) {
    this.handler = new CommandHandler(db, eventStore, 'tracking', { onConflict: conflict, clock });
  }

  /**
   * Applies the events to the read model and, for experiments and logged models, records the
   * aggregate's new version. A run's writers load no version (undefined): each of them holds the
   * run's row lock from deciding to commit, so they are already serialized, and the append numbers
   * the events after the stored ones (a version read with the lock could even be stale: the locking
   * statement's snapshot predates the commit it waited for). The append and the metric projection
   * then go with the COMMIT: nothing after them reads what they write.
   */
  private async projectInto(uow: UnitOfWork, aggregate: TrackingAggregate, id: string, version: number | undefined, events: readonly TrackingEvent[]) {
    for (const event of events) await project(uow, event, { metricsAtCommit: version === undefined });
    if (aggregate !== 'run' && version !== undefined) await this.store.setVersion(uow, aggregate, id, version + events.length);
  }

  /** The shared loop, with tracking's projection. */
  private handle<State, R>(
    aggregate: TrackingAggregate,
    id: string | ((state: State) => string),
    command: {
      load: (uow: UnitOfWork, begun: QueryResultRow[]) => Promise<Loaded<State>>;
      decide: (state: State, uow: UnitOfWork) => TrackingEvent[] | Promise<TrackingEvent[]>;
      result: (loaded: Loaded<State>, events: readonly TrackingEvent[], uow: UnitOfWork) => R | Promise<R>;
      begin?: NamedStatement;
    },
    metadata: EventMetadata,
  ): Promise<R> {
    return this.handler
      .handle(
        {
          aggregateId: id,
          ...command,
          project: (uow, events, loaded) => this.projectInto(uow, aggregate, typeof id === 'string' ? id : id(loaded.state), loaded.version, events),
        },
        metadata,
      )
      .then(({ result }) => result);
  }

  // ---- experiments -----------------------------------------------------------------------------

  async createExperiment(cmd: { name: string; artifactLocation?: string; tags: KeyValue[] }, metadata: EventMetadata): Promise<string> {
    try {
      return await this.handle<{ experimentId: string }, string>(
        'experiment',
        ({ experimentId }) => experimentId,
        {
          // A new experiment's id comes from the sequence: it must not exist yet (version 0).
          load: async (uow) => ({ state: { experimentId: await this.store.nextExperimentId(uow) }, version: 0 }),
          decide: async ({ experimentId }, uow) =>
            decideCreateExperiment({
              experimentId,
              name: cmd.name,
              artifactLocation: cmd.artifactLocation ?? `mlflow-artifacts:/${experimentId}`,
              tags: cmd.tags,
              now: this.clock.now(),
              nameHolder: await this.store.nameHolder(uow, cmd.name),
            }),
          result: ({ state }) => state.experimentId,
        },
        metadata,
      );
    } catch (error) {
      // Two concurrent creates of one name: the loser sees the unique index, as in MLflow's SQL store.
      if (isUniqueViolation(error)) throw alreadyExists(`Experiment '${cmd.name}' already exists.`);
      throw error;
    }
  }

  async onExperiment(experimentId: string, build: (uow: UnitOfWork) => Promise<ExperimentCommand>, metadata: EventMetadata): Promise<void> {
    try {
      await this.handle(
        'experiment',
        experimentId,
        {
          load: async (uow) => {
            const loaded = await this.store.lockExperiment(uow, experimentId);
            return { state: loaded?.state ?? null, version: loaded?.version ?? 0 };
          },
          decide: async (state, uow) => decideExperiment(state, experimentId, await build(uow)),
          result: () => undefined,
        },
        metadata,
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw alreadyExists('An experiment with that name already exists.');
      throw error;
    }
  }

  renameExperiment(experimentId: string, newName: string, metadata: EventMetadata) {
    return this.onExperiment(
      experimentId,
      async (uow) => ({ kind: 'rename', newName, nameHolder: await this.store.nameHolder(uow, newName), now: this.clock.now() }),
      metadata,
    );
  }

  deleteExperiment(experimentId: string, metadata: EventMetadata) {
    return this.onExperiment(
      experimentId,
      async (uow) => ({ kind: 'delete', runIds: await this.store.runIdsOfExperiment(uow, experimentId), now: this.clock.now() }),
      metadata,
    );
  }

  restoreExperiment(experimentId: string, metadata: EventMetadata) {
    return this.onExperiment(
      experimentId,
      async (uow) => ({ kind: 'restore', runIds: await this.store.runIdsOfExperiment(uow, experimentId), now: this.clock.now() }),
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
    return this.handle(
      'run',
      runId,
      {
        load: async (uow) => ({ state: await this.store.lockExperiment(uow, cmd.experimentId, 'share'), version: 0 }),
        decide: (experiment) =>
          decideCreateRun({
            runId,
            experiment: experiment ? { ...experiment.state, artifactLocation: experiment.artifactLocation } : null,
            requestedExperimentId: cmd.experimentId,
            userId: cmd.userId,
            startTime: cmd.startTime ?? this.clock.now(),
            runName: cmd.runName,
            tags: cmd.tags,
            generatedName: generateRunName(),
          }),
        result: (_loaded, _events, uow) => {
          this.store.recordRunActivityAtCommit(uow, runId, this.clock.now(), null);
          return runId;
        },
      },
      metadata,
    );
  }

  /** Runs `cmd` against the row-locked run; the lock serializes writers of one run. */
  async onRun(runId: string, cmd: RunCommand, metadata: EventMetadata, keys: { params?: string[]; tags?: string[] } = {}): Promise<void> {
    await this.handle(
      'run',
      runId,
      {
        // The lock goes with BEGIN: one round trip fewer on every run write.
        begin: this.store.lockRunStatement(runId),
        load: async (uow, begun) => {
          const loaded = await this.store.lockRun(uow, runId, keys.params, keys.tags, begun);
          if (!loaded) throw notFound(`Run with id=${runId} not found`);
          return { state: loaded, version: undefined };
        },
        decide: ({ state }) => decideRun(state, cmd),
        // Every write is a sign of life, even one that changed nothing (a param re-logged by a retry).
        result: ({ state }, _events, uow) => this.store.recordRunActivityAtCommit(uow, runId, this.clock.now(), state.lastActivityMs),
      },
      metadata,
    );
  }

  /**
   * The orphan reaper's command: closes the run as KILLED (with a `cairn.reaped_reason` tag) only if,
   * under its row lock, it is still RUNNING and silent for `orphanTimeoutMs`. A write or heartbeat
   * that committed first moved `last_activity_ms` on, so the run is left alone. True if it was reaped.
   */
  async reapRun(runId: string, orphanTimeoutMs: number, metadata: EventMetadata): Promise<boolean> {
    return this.handle(
      'run',
      runId,
      {
        load: async (uow) => ({ state: await this.store.lockRun(uow, runId), version: undefined }),
        decide: (loaded) =>
          loaded ? decideRun(loaded.state, { kind: 'reap', now: this.clock.now(), orphanTimeoutMs, lastActivityMs: loaded.lastActivityMs }) : [],
        result: (_loaded, events) => events.length > 0,
      },
      metadata,
    );
  }

  /**
   * Garbage collection of one run, decided under its row lock (a concurrent restore or a model
   * version registered meanwhile wins). Null when the run is already gone.
   */
  async purgeRun(runId: string, cutoff: number, metadata: EventMetadata): Promise<RunGcVerdict | null> {
    return this.handle(
      'run',
      runId,
      {
        load: async (uow) => {
          const loaded = await this.store.lockRun(uow, runId);
          const references = loaded ? ((await this.store.referencesTo([runId], uow)).get(runId) ?? []) : [];
          return { state: loaded && { run: loaded.state, references }, version: undefined };
        },
        decide: (loaded) => (loaded ? decideRun(loaded.run, { kind: 'purge', cutoff, references: loaded.references }) : []),
        result: ({ state: loaded }) => (loaded ? runGcVerdict(loaded.run, loaded.references, cutoff) : null),
      },
      metadata,
    );
  }

  /** Garbage collection of one experiment: only once no run of it is left. Null when it is already gone. */
  async purgeExperiment(experimentId: string, cutoff: number, metadata: EventMetadata): Promise<ExperimentGcVerdict | null> {
    return this.handle(
      'experiment',
      experimentId,
      {
        load: async (uow) => {
          // FOR UPDATE keeps restores out; run creation in a deleted experiment is refused anyway.
          const loaded = await this.store.lockExperiment(uow, experimentId);
          if (!loaded) return { state: null, version: 0 };
          const left = await this.store.runsLeftInExperiment(experimentId, 11, uow);
          const references = await this.store.referencesTo(
            left.map((r) => r.runId),
            uow,
          );
          // Any run still here blocks the purge, even one due: a later pass purges it first.
          const remainingRuns = left.map((r) => ({
            runId: r.runId,
            why: whyRunStays(r, references.get(r.runId) ?? [], cutoff) ?? 'it is due but not purged yet',
          }));
          return { state: { ...loaded, remainingRuns }, version: loaded.version };
        },
        decide: (loaded) =>
          loaded
            ? decideExperiment(loaded.state, experimentId, { kind: 'purge', cutoff, deletedTime: loaded.deletedTime, remainingRuns: loaded.remainingRuns })
            : [],
        result: ({ state: loaded }) =>
          loaded ? experimentGcVerdict({ lifecycleStage: loaded.state.lifecycleStage, deletedTime: loaded.deletedTime }, loaded.remainingRuns, cutoff) : null,
      },
      metadata,
    );
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
    return this.handle(
      'loggedModel',
      modelId,
      {
        load: async (uow) => ({ state: await this.store.lockExperiment(uow, cmd.experimentId, 'share'), version: 0 }),
        decide: (experiment) =>
          decideCreateLoggedModel({
            modelId,
            experiment: experiment ? { ...experiment.state, artifactLocation: experiment.artifactLocation } : null,
            requestedExperimentId: cmd.experimentId,
            name: cmd.name || generateRunName(),
            ...(cmd.modelType !== undefined ? { modelType: cmd.modelType } : {}),
            ...(cmd.sourceRunId !== undefined ? { sourceRunId: cmd.sourceRunId } : {}),
            params: cmd.params,
            tags: cmd.tags,
            now: this.clock.now(),
          }),
        result: () => modelId,
      },
      metadata,
    );
  }

  async onLoggedModel(modelId: string, cmd: LoggedModelCommand, metadata: EventMetadata): Promise<void> {
    await this.handle(
      'loggedModel',
      modelId,
      {
        load: async (uow) => {
          const loaded = await this.store.lockLoggedModel(uow, modelId);
          return { state: loaded?.state ?? null, version: loaded?.version ?? 0 };
        },
        decide: (state) => decideLoggedModel(state, modelId, cmd),
        result: () => undefined,
      },
      metadata,
    );
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
