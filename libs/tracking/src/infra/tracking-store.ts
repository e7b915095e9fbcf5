import { Inject, Injectable } from '@nestjs/common';
import type { KeyValue, LoggedModelStatus, ReadScope, RunStatus } from '@cairn/contracts';
import type { QueryResultRow } from 'pg';
import { Database, type NamedStatement, type Sql, type UnitOfWork } from '@cairn/platform';
import { readScopeCondition } from '@cairn/search';
import type { ExperimentState } from '../domain/experiment';
import type { ChunkText } from '../domain/history-json';
import type { ModelVersionReference } from '../domain/lifecycle';
import type { LoggedModelState } from '../domain/logged-model';
import { fromStored } from '../domain/metrics';
import type { LifecycleStage, RunState } from '../domain/run';
import type { DatasetInputView, ExperimentView, LoggedModelView, MetricView, RunView } from '../application/views';
import * as q from './sql';

/** How stale a run's recorded activity may be before a write to the run refreshes it. */
export const RUN_ACTIVITY_RESOLUTION_MS = 1_000;

// pg returns int8 as strings; every timestamp/step/version goes through this.
const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

interface ExperimentRow {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  creation_time: string | null;
  last_update_time: string | null;
}

interface MetricRow {
  run_uuid?: string;
  key: string;
  value: number;
  timestamp: string;
  step: string;
  is_nan: boolean;
  model_id?: string | null;
  dataset_name?: string | null;
  dataset_digest?: string | null;
}

export function metricView(row: MetricRow): MetricView {
  const view: MetricView = { key: row.key, value: fromStored(row.value, row.is_nan), timestamp: Number(row.timestamp), step: Number(row.step) };
  if (row.model_id) view.modelId = row.model_id;
  if (row.dataset_name) view.datasetName = row.dataset_name;
  if (row.dataset_digest) view.datasetDigest = row.dataset_digest;
  return view;
}

// int8 minimum, so a first page includes negative steps and timestamps.
const INT8_MIN = '-9223372036854775808';

/** A history page's keyset cursor (step, timestamp, id) as the page queries' parameters $3–$5; the series' start when null. */
const cursorParams = (after: { step: number; timestamp: number; id: number } | null): [string, string, string] =>
  after ? [String(after.step), String(after.timestamp), String(after.id)] : [INT8_MIN, INT8_MIN, '0'];

function groupBy<R, K extends keyof R>(rows: R[], key: K): Map<R[K], R[]> {
  const map = new Map<R[K], R[]>();
  for (const row of rows) {
    const list = map.get(row[key]);
    if (list) list.push(row);
    else map.set(row[key], [row]);
  }
  return map;
}

/** The tracking read model in Postgres: aggregate state for deciders, and views for queries. */
@Injectable()
export class TrackingStore {
  constructor(@Inject(Database) private readonly db: Database) {}

  // ---- write side ------------------------------------------------------------------------------

  /**
   * The run lock as a named statement, for the unit of work to send with BEGIN (one round trip
   * fewer per run write): every run write pays for this read, and a prepared statement skips parsing
   * and planning after a connection's first use. The id is a parameter, whatever it holds.
   */
  lockRunStatement(runId: string): NamedStatement {
    return { name: 'tracking.lock_run', text: q.LOCK_RUN, values: [runId] };
  }

  /**
   * `lastActivityMs`: last heartbeat or write (server time), for the orphan reaper; not part of the
   * event-sourced state. `begun`: the rows of `lockRunStatement` when the unit of work began with it
   * (the lock is then already held).
   */
  async lockRun(
    tx: UnitOfWork,
    runId: string,
    paramKeys: string[] = [],
    tagKeys: string[] = [],
    begun?: readonly QueryResultRow[],
  ): Promise<{ state: RunState; lastActivityMs: number | null } | null> {
    const rows = (begun ?? (await tx.query(this.lockRunStatement(runId))).rows) as Array<{
      run_uuid: string;
      experiment_id: string;
      name: string | null;
      status: RunStatus;
      lifecycle_stage: LifecycleStage;
      start_time: string | null;
      end_time: string | null;
      deleted_time: string | null;
      last_activity_ms: string | null;
    }>;
    const row = rows[0];
    if (!row) return null;
    const params = paramKeys.length > 0 ? (await tx.query<KeyValue>(q.SELECT_PARAMS_BY_KEYS, [runId, paramKeys])).rows : [];
    const tags = tagKeys.length > 0 ? (await tx.query<KeyValue>(q.SELECT_TAGS_BY_KEYS, [runId, tagKeys])).rows : [];
    return {
      lastActivityMs: num(row.last_activity_ms),
      state: {
        runId: row.run_uuid,
        experimentId: row.experiment_id,
        name: row.name ?? '',
        status: row.status,
        lifecycleStage: row.lifecycle_stage,
        startTime: num(row.start_time) ?? 0,
        endTime: num(row.end_time),
        deletedTime: num(row.deleted_time),
        params: new Map(params.map((p) => [p.key, p.value])),
        tags: new Map(tags.map((t) => [t.key, t.value])),
      },
    };
  }

  /** `share` lets runs be created in parallel while keeping a concurrent delete of the experiment out. */
  async lockExperiment(
    tx: Sql,
    experimentId: string,
    mode: 'update' | 'share' = 'update',
  ): Promise<{ state: ExperimentState; artifactLocation: string; deletedTime: number | null; version: number } | null> {
    if (!/^\d{1,18}$/.test(experimentId)) return null;
    const { rows } = await tx.query<ExperimentRow & { deleted_time: string | null; version: string }>(
      mode === 'update' ? q.LOCK_EXPERIMENT : q.LOCK_EXPERIMENT_SHARE,
      [experimentId],
    );
    const row = rows[0];
    if (!row) return null;
    const tagKeys = (await tx.query<{ key: string }>(q.SELECT_EXPERIMENT_TAG_KEYS, [experimentId])).rows.map((r) => r.key);
    return {
      version: Number(row.version),
      artifactLocation: row.artifact_location,
      deletedTime: num(row.deleted_time),
      state: { experimentId: row.experiment_id, name: row.name, lifecycleStage: row.lifecycle_stage, tagKeys: new Set(tagKeys) },
    };
  }

  async nameHolder(tx: Sql, name: string): Promise<{ experimentId: string; lifecycleStage: LifecycleStage } | null> {
    const { rows } = await tx.query<{ experiment_id: string; lifecycle_stage: LifecycleStage }>(q.SELECT_EXPERIMENT_BY_NAME_FOR_NAME_CHECK, [name]);
    return rows[0] ? { experimentId: rows[0].experiment_id, lifecycleStage: rows[0].lifecycle_stage } : null;
  }

  async nextExperimentId(tx: Sql): Promise<string> {
    const id = (await tx.query<{ id: string }>(q.NEXT_EXPERIMENT_ID)).rows[0]?.id;
    if (id === undefined) throw new Error('experiment id sequence returned no value');
    return id;
  }

  async runIdsOfExperiment(tx: Sql, experimentId: string): Promise<string[]> {
    return (await tx.query<{ run_uuid: string }>(q.SELECT_RUN_IDS_OF_EXPERIMENT, [experimentId])).rows.map((r) => r.run_uuid);
  }

  async lockLoggedModel(tx: Sql, modelId: string): Promise<{ state: LoggedModelState; version: number } | null> {
    const { rows } = await tx.query<{ model_id: string; experiment_id: string; status: LoggedModelStatus; lifecycle_stage: LifecycleStage; version: string }>(
      q.LOCK_LOGGED_MODEL,
      [modelId],
    );
    const row = rows[0];
    if (!row) return null;
    const tagKeys = (await tx.query<{ key: string }>(q.SELECT_LOGGED_MODEL_TAG_KEYS, [modelId])).rows.map((r) => r.key);
    return {
      version: Number(row.version),
      state: { modelId: row.model_id, experimentId: row.experiment_id, status: row.status, lifecycleStage: row.lifecycle_stage, tagKeys: new Set(tagKeys) },
    };
  }

  async setVersion(tx: UnitOfWork, aggregate: 'experiment' | 'loggedModel', id: string, version: number): Promise<void> {
    await tx.query(aggregate === 'experiment' ? q.SET_EXPERIMENT_VERSION : q.SET_LOGGED_MODEL_VERSION, [id, version]);
  }

  /**
   * Marks the run active at `now`, to the second, when `tx` commits (queued with the COMMIT: nothing
   * in the command reads it back): `recorded` is the activity read under the row lock, and while it
   * is less than a second old nothing is written. A run logging many times a second then costs one
   * UPDATE of its row per second rather than one per request (and the reaper's index on the column
   * one entry per second); orphan timeouts are minutes to hours.
   */
  recordRunActivityAtCommit(uow: UnitOfWork, runId: string, now: number, recorded: number | null): void {
    if (recorded !== null && recorded > now - RUN_ACTIVITY_RESOLUTION_MS) return;
    uow.atCommit({ name: 'tracking.record_run_activity', text: q.RECORD_RUN_ACTIVITY, values: [runId, now] });
  }

  // ---- run lifecycle: heartbeats, reaper and GC candidates -------------------------------------

  /** The run's status after recording a heartbeat at `now`, or null for an unknown run. */
  async recordHeartbeat(runId: string, now: number): Promise<RunStatus | null> {
    const { rows } = await this.db.query<{ status: RunStatus }>(q.RECORD_HEARTBEAT, [runId, now]);
    return rows[0]?.status ?? null;
  }

  async orphanCandidates(silentSince: number, limit: number): Promise<string[]> {
    return (await this.db.query<{ run_uuid: string }>(q.SELECT_ORPHAN_CANDIDATES, [silentSince, limit])).rows.map((r) => r.run_uuid);
  }

  async gcRunCandidates(cutoff: number, limit: number): Promise<string[]> {
    return (await this.db.query<{ run_uuid: string }>(q.SELECT_GC_RUN_CANDIDATES, [cutoff, limit])).rows.map((r) => r.run_uuid);
  }

  async gcExperimentCandidates(cutoff: number, limit: number): Promise<string[]> {
    return (await this.db.query<{ experiment_id: string }>(q.SELECT_GC_EXPERIMENT_CANDIDATES, [cutoff, limit])).rows.map((r) => r.experiment_id);
  }

  /** Live model versions pointing at each of `runIds` (learnt from registry events). */
  async referencesTo(runIds: string[], sql: Sql = this.db): Promise<Map<string, ModelVersionReference[]>> {
    const { rows } = await sql.query<{ run_id: string; name: string; version: string }>(q.SELECT_RUN_REFERENCES, [runIds]);
    const byRun = new Map<string, ModelVersionReference[]>();
    for (const r of rows) byRun.set(r.run_id, [...(byRun.get(r.run_id) ?? []), { name: r.name, version: r.version }]);
    return byRun;
  }

  async runsLeftInExperiment(
    experimentId: string,
    limit: number,
    sql: Sql = this.db,
  ): Promise<{ runId: string; lifecycleStage: LifecycleStage; deletedTime: number | null }[]> {
    const { rows } = await sql.query<{ run_uuid: string; lifecycle_stage: LifecycleStage; deleted_time: string | null }>(q.SELECT_RUNS_LEFT_IN_EXPERIMENT, [
      experimentId,
      limit,
    ]);
    return rows.map((r) => ({ runId: r.run_uuid, lifecycleStage: r.lifecycle_stage, deletedTime: num(r.deleted_time) }));
  }

  // ---- read side -------------------------------------------------------------------------------

  async experiment(experimentId: string, sql: Sql = this.db): Promise<ExperimentView | null> {
    if (!/^\d{1,18}$/.test(experimentId)) return null;
    return (await this.experimentsByIds([experimentId], sql))[0] ?? null;
  }

  async experimentByName(name: string): Promise<ExperimentView | null> {
    const { rows } = await this.db.query<ExperimentRow>(q.SELECT_EXPERIMENT_BY_NAME, [name]);
    return rows[0] ? ((await this.experimentsByIds([rows[0].experiment_id]))[0] ?? null) : null;
  }

  /** Experiments in the order of `ids`. */
  async experimentsByIds(ids: string[], sql: Sql = this.db): Promise<ExperimentView[]> {
    if (ids.length === 0) return [];
    const [experiments, tags] = await Promise.all([
      sql.query<ExperimentRow>(q.SELECT_EXPERIMENTS_BY_IDS, [ids]),
      sql.query<{ experiment_id: string; key: string; value: string }>(q.SELECT_EXPERIMENT_TAGS, [ids]),
    ]);
    const tagsOf = groupBy(tags.rows, 'experiment_id');
    const byId = new Map(
      experiments.rows.map((r) => [
        r.experiment_id,
        {
          experimentId: r.experiment_id,
          name: r.name,
          artifactLocation: r.artifact_location,
          lifecycleStage: r.lifecycle_stage,
          creationTime: num(r.creation_time),
          lastUpdateTime: num(r.last_update_time),
          tags: (tagsOf.get(r.experiment_id) ?? []).map((t) => ({ key: t.key, value: t.value })),
        } satisfies ExperimentView,
      ]),
    );
    return ids.flatMap((id) => byId.get(String(id)) ?? []);
  }

  async run(runId: string): Promise<RunView | null> {
    return (await this.runsByIds([runId]))[0] ?? null;
  }

  /** Full runs (info, latest metrics, params, tags, inputs, outputs) in the order of `ids`, in 7 queries. */
  async runsByIds(ids: string[]): Promise<RunView[]> {
    if (ids.length === 0) return [];
    const [runs, metrics, params, tags, datasets, models, outputs] = await Promise.all([
      this.db.query<{
        run_uuid: string;
        experiment_id: string;
        name: string | null;
        user_id: string | null;
        status: RunStatus;
        start_time: string | null;
        end_time: string | null;
        lifecycle_stage: LifecycleStage;
        artifact_uri: string | null;
      }>(q.SELECT_RUNS_BY_IDS, [ids]),
      this.db.query<MetricRow & { run_uuid: string }>(q.SELECT_LATEST_METRICS, [ids]),
      this.db.query<{ run_uuid: string; key: string; value: string }>(q.SELECT_PARAMS, [ids]),
      this.db.query<{ run_uuid: string; key: string; value: string | null }>(q.SELECT_TAGS, [ids]),
      this.db.query<{
        run_uuid: string;
        input_uuid: string;
        name: string;
        digest: string;
        source_type: string;
        source: string;
        schema: string | null;
        profile: string | null;
      }>(q.SELECT_DATASET_INPUTS, [ids]),
      this.db.query<{ run_uuid: string; model_id: string }>(q.SELECT_MODEL_INPUTS, [ids]),
      this.db.query<{ run_uuid: string; model_id: string; step: string }>(q.SELECT_RUN_OUTPUTS, [ids]),
    ]);
    const inputTags =
      datasets.rows.length > 0
        ? groupBy(
            (await this.db.query<{ input_uuid: string; name: string; value: string }>(q.SELECT_INPUT_TAGS, [datasets.rows.map((d) => d.input_uuid)])).rows,
            'input_uuid',
          )
        : new Map<string, { name: string; value: string }[]>();
    const metricsOf = groupBy(metrics.rows, 'run_uuid');
    const paramsOf = groupBy(params.rows, 'run_uuid');
    const tagsOf = groupBy(tags.rows, 'run_uuid');
    const datasetsOf = groupBy(datasets.rows, 'run_uuid');
    const modelsOf = groupBy(models.rows, 'run_uuid');
    const outputsOf = groupBy(outputs.rows, 'run_uuid');
    const byId = new Map<string, RunView>();
    for (const r of runs.rows) {
      byId.set(r.run_uuid, {
        runId: r.run_uuid,
        experimentId: r.experiment_id,
        name: r.name ?? '',
        userId: r.user_id ?? '',
        status: r.status,
        startTime: num(r.start_time),
        endTime: num(r.end_time),
        lifecycleStage: r.lifecycle_stage,
        artifactUri: r.artifact_uri ?? '',
        metrics: (metricsOf.get(r.run_uuid) ?? []).map(metricView),
        params: (paramsOf.get(r.run_uuid) ?? []).map((p) => ({ key: p.key, value: p.value })),
        tags: (tagsOf.get(r.run_uuid) ?? []).map((t) => ({ key: t.key, value: t.value ?? '' })),
        datasetInputs: (datasetsOf.get(r.run_uuid) ?? []).map((d): DatasetInputView => ({
          name: d.name,
          digest: d.digest,
          sourceType: d.source_type,
          source: d.source,
          schema: d.schema,
          profile: d.profile,
          tags: (inputTags.get(d.input_uuid) ?? []).map((t) => ({ key: t.name, value: t.value })),
        })),
        modelInputs: (modelsOf.get(r.run_uuid) ?? []).map((m) => m.model_id),
        modelOutputs: (outputsOf.get(r.run_uuid) ?? []).map((o) => ({ modelId: o.model_id, step: Number(o.step) })),
      });
    }
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async datasetSummaries(
    experimentIds: string[],
    readable: ReadScope,
  ): Promise<{ experimentId: string; name: string; digest: string; context: string | null }[]> {
    const visible = readScopeCondition(readable, 'd.experiment_id', 'bigint', 2);
    const { rows } = await this.db.query<{ experiment_id: string; name: string; digest: string; context: string | null }>(q.searchDatasets(visible.sql), [
      experimentIds,
      ...visible.values,
    ]);
    return rows.map((r) => ({ experimentId: r.experiment_id, name: r.name, digest: r.digest, context: r.context }));
  }

  /**
   * Up to `limit` points after the keyset cursor (step, timestamp, id); `cut` when the page stopped
   * early at a chunk boundary (more points follow even though fewer than `limit` came back).
   */
  async metricHistoryPage(
    runId: string,
    key: string,
    after: { step: number; timestamp: number; id: number } | null,
    limit: number,
  ): Promise<{ points: (MetricView & { cursor: { step: number; timestamp: number; id: number } })[]; cut: boolean }> {
    const { rows } = await this.db.query<MetricRow & { id: string; cut: boolean }>(q.SELECT_METRIC_HISTORY_PAGE, [runId, key, ...cursorParams(after), limit]);
    return {
      points: rows.map((r) => ({ ...metricView(r), cursor: { step: Number(r.step), timestamp: Number(r.timestamp), id: Number(r.id) } })),
      cut: rows[0]?.cut === true,
    };
  }

  async sampledMetricSteps(runIds: string[], key: string, startStep: string, endStep: string, samples: number): Promise<number[]> {
    return (await this.db.query<{ step: string }>(q.SELECT_SAMPLED_METRIC_STEPS, [runIds, key, startStep, endStep, samples])).rows.map((r) => Number(r.step));
  }

  /** Up to `limit` points after the cursor, already rendered as comma-joined wire JSON by Postgres. */
  async metricHistoryJsonPage(
    runId: string,
    key: string,
    after: { step: number; timestamp: number; id: number } | null,
    limit: number,
  ): Promise<{ json: string; count: number; last: { step: number; timestamp: number; id: number } | null; cut: boolean }> {
    const { rows } = await this.db.query<{ json: string | null; n: number; last: string[] | null; cut: boolean }>(q.SELECT_METRIC_HISTORY_JSON_PAGE, [
      runId,
      key,
      ...cursorParams(after),
      limit,
      `{"key":${JSON.stringify(key)},"value":`,
    ]);
    const row = rows[0];
    if (!row?.json || !row.last) return { json: '', count: 0, last: null, cut: false };
    return { json: row.json, count: row.n, last: { step: Number(row.last[0]), timestamp: Number(row.last[1]), id: Number(row.last[2]) }, cut: row.cut };
  }

  /**
   * Up to `limit` chunks of a series after (min_step, chunk_id), their arrays as text; `cursorChanged`
   * when the chunk `after` names no longer holds the points it was read with (compacted meanwhile).
   */
  async metricChunksAsText(
    runId: string,
    key: string,
    after: { minStep: string; chunkId: string; points: number } | null,
    limit: number,
  ): Promise<{ chunks: ChunkText[]; cursorChanged: boolean }> {
    const { rows } = await this.db.query<ChunkText & { cursorChanged: boolean }>(q.SELECT_METRIC_CHUNKS_AS_TEXT, [
      runId,
      key,
      after?.minStep ?? INT8_MIN,
      after?.chunkId ?? '0',
      limit,
      after?.points ?? 0,
    ]);
    return {
      chunks: rows.filter((row) => row.chunkId !== null).map(({ cursorChanged: _changed, ...chunk }) => chunk),
      cursorChanged: rows[0]?.cursorChanged === true,
    };
  }

  async metricPointsAtSteps(runIds: string[], key: string, steps: number[]): Promise<MetricView[]> {
    const { rows } = await this.db.query<MetricRow & { run_uuid: string }>(q.SELECT_METRIC_POINTS_AT_STEPS, [runIds, key, steps]);
    return rows.map((r) => ({ ...metricView(r), runId: r.run_uuid }));
  }

  async loggedModelsByIds(ids: string[]): Promise<LoggedModelView[]> {
    if (ids.length === 0) return [];
    const [models, tags, params, metrics] = await Promise.all([
      this.db.query<{
        model_id: string;
        experiment_id: string;
        name: string;
        artifact_location: string;
        creation_timestamp_ms: string;
        last_updated_timestamp_ms: string;
        status: LoggedModelStatus;
        lifecycle_stage: LifecycleStage;
        model_type: string | null;
        source_run_id: string | null;
        status_message: string | null;
      }>(q.SELECT_LOGGED_MODELS_BY_IDS, [ids]),
      this.db.query<{ model_id: string; key: string; value: string }>(q.SELECT_LOGGED_MODEL_TAGS, [ids]),
      this.db.query<{ model_id: string; key: string; value: string }>(q.SELECT_LOGGED_MODEL_PARAMS, [ids]),
      this.db.query<MetricRow & { model_id: string; run_uuid: string }>(q.SELECT_LOGGED_MODEL_METRICS, [ids]),
    ]);
    const tagsOf = groupBy(tags.rows, 'model_id');
    const paramsOf = groupBy(params.rows, 'model_id');
    const metricsOf = groupBy(metrics.rows, 'model_id');
    const byId = new Map<string, LoggedModelView>();
    for (const m of models.rows) {
      byId.set(m.model_id, {
        modelId: m.model_id,
        experimentId: m.experiment_id,
        name: m.name,
        artifactUri: m.artifact_location,
        creationTimestampMs: Number(m.creation_timestamp_ms),
        lastUpdatedTimestampMs: Number(m.last_updated_timestamp_ms),
        status: m.status,
        lifecycleStage: m.lifecycle_stage,
        modelType: m.model_type,
        sourceRunId: m.source_run_id,
        statusMessage: m.status_message,
        tags: (tagsOf.get(m.model_id) ?? []).map((t) => ({ key: t.key, value: t.value })),
        params: (paramsOf.get(m.model_id) ?? []).map((p) => ({ key: p.key, value: p.value })),
        metrics: (metricsOf.get(m.model_id) ?? []).map((r) => ({ ...metricView(r), runId: r.run_uuid, modelId: m.model_id })),
      });
    }
    return ids.flatMap((id) => byId.get(id) ?? []);
  }
}
