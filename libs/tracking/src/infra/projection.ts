import { assertNever, TRACKING_EVENT_TYPES as T, type MetricPoint, type TraceAssessment, type TrackingEvent } from '@cairn/contracts';
import { nameBasedUuid } from '@cairn/eventing';
import type { DeferredStatement, UnitOfWork } from '@cairn/platform';
import { fromWireDouble, METRIC_CHUNK_POINTS, planMetricWrites, toStored, type StoredPoint } from '../domain/metrics';
import { RUN_NAME_TAG } from '../domain/run';
import { TRACE_SOURCE_RUN_METADATA } from '../domain/trace';
import * as q from './sql';
import * as tq from './trace-sql';

function projectAssessment(sql: UnitOfWork, traceId: string, a: TraceAssessment) {
  return sql.query(tq.UPSERT_TRACE_ASSESSMENT, [traceId, a.assessmentId, a.name, a.createTime, a.lastUpdateTime, JSON.stringify(a.body)]);
}

/**
 * The inline projection: applies tracking events to the read model in the command's transaction,
 * so a client reads its own writes at once. The same function can rebuild the read model by
 * replaying `tracking.events`.
 *
 * `metricsAtCommit` queues the metric projection's statements to run with the COMMIT instead of
 * awaiting them here (the run write path; see `UnitOfWork.atCommit`): nothing later in the command
 * reads what they write.
 */
export async function project(sql: UnitOfWork, event: TrackingEvent, { metricsAtCommit = false }: { metricsAtCommit?: boolean } = {}): Promise<void> {
  switch (event.type) {
    case T.experimentCreated: {
      const d = event.data;
      await sql.query(q.INSERT_EXPERIMENT, [d.experimentId, d.name, d.artifactLocation, d.creationTime]);
      if (d.tags.length > 0) await sql.query(q.UPSERT_EXPERIMENT_TAGS, [d.experimentId, d.tags.map((t) => t.key), d.tags.map((t) => t.value)]);
      return;
    }
    case T.experimentRenamed:
      await sql.query(q.RENAME_EXPERIMENT, [event.data.experimentId, event.data.name, event.data.updatedTime]);
      return;
    case T.experimentDeleted:
      await sql.query(q.SET_EXPERIMENT_STAGE, [event.data.experimentId, 'deleted', event.data.deletedTime, event.data.deletedTime]);
      await sql.query(q.SET_RUNS_STAGE, [event.data.runIds, 'deleted', event.data.deletedTime]);
      return;
    case T.experimentRestored:
      await sql.query(q.SET_EXPERIMENT_STAGE, [event.data.experimentId, 'active', event.data.restoredTime, null]);
      await sql.query(q.SET_RUNS_STAGE, [event.data.runIds, 'active', null]);
      return;
    case T.experimentTagSet:
      await sql.query(q.UPSERT_EXPERIMENT_TAGS, [event.data.experimentId, [event.data.key], [event.data.value]]);
      return;
    case T.experimentTagDeleted:
      await sql.query(q.DELETE_EXPERIMENT_TAG, [event.data.experimentId, event.data.key]);
      return;
    case T.experimentPurged:
      await sql.query(q.PURGE_EXPERIMENT_CONTENTS, [event.data.experimentId]);
      await sql.query(tq.PURGE_EXPERIMENT_TRACES, [event.data.experimentId]);
      await sql.query(q.DELETE_EXPERIMENT, [event.data.experimentId]);
      return;
    case T.runCreated: {
      const d = event.data;
      await sql.query(q.INSERT_RUN, [d.runId, d.experimentId, d.name, d.userId, d.status, d.startTime, d.artifactUri]);
      if (d.tags.length > 0) await sql.query(q.UPSERT_RUN_TAGS, [d.runId, d.tags.map((t) => t.key), d.tags.map((t) => t.value)]);
      return;
    }
    case T.runUpdated: {
      const d = event.data;
      await sql.query(q.UPDATE_RUN, [d.runId, d.status ?? null, d.endTime ?? null, d.name ?? null]);
      // run_name and the mlflow.runName tag are one fact shown twice.
      if (d.name !== undefined) await sql.query(q.UPSERT_RUN_TAGS, [d.runId, [RUN_NAME_TAG], [d.name]]);
      return;
    }
    case T.runDeleted:
      await sql.query(q.SET_RUN_STAGE, [event.data.runId, 'deleted', event.data.deletedTime]);
      return;
    case T.runRestored:
      await sql.query(q.SET_RUN_STAGE, [event.data.runId, 'active', null]);
      return;
    case T.runPurged:
      await sql.query(q.PURGE_RUN_INPUT_TAGS, [event.data.runId]);
      await sql.query(q.PURGE_RUN, [event.data.runId]);
      return;
    case T.metricsLogged:
      await projectMetrics(
        metricsAtCommit ? (statement) => sql.atCommit(statement) : (statement) => runNow(sql, statement),
        event.data.runId,
        event.data.metrics,
      );
      return;
    case T.paramsLogged:
      await sql.query(q.INSERT_PARAMS, [event.data.runId, event.data.params.map((p) => p.key), event.data.params.map((p) => p.value)]);
      return;
    case T.tagsSet: {
      const { runId, tags } = event.data;
      await sql.query(q.UPSERT_RUN_TAGS, [runId, tags.map((t) => t.key), tags.map((t) => t.value)]);
      const name = tags.find((t) => t.key === RUN_NAME_TAG);
      if (name) await sql.query(q.RENAME_RUN, [runId, name.value]);
      return;
    }
    case T.tagDeleted:
      await sql.query(q.DELETE_RUN_TAG, [event.data.runId, event.data.key]);
      return;
    case T.inputsLogged: {
      const { runId, experimentId, datasets, modelIds } = event.data;
      for (const ds of datasets) {
        const { rows } = await sql.query<{ dataset_uuid: string }>(q.UPSERT_DATASET, [
          datasetUuid(experimentId, ds.name, ds.digest),
          experimentId,
          ds.name,
          ds.digest,
          ds.sourceType,
          ds.source,
          ds.schema ?? null,
          ds.profile ?? null,
        ]);
        const datasetId = rows[0]?.dataset_uuid;
        if (!datasetId) throw new Error(`dataset upsert returned no row for run ${runId}`);
        const inserted = await sql.query<{ input_uuid: string }>(q.INSERT_INPUT, [inputUuid('DATASET', datasetId, runId), 'DATASET', datasetId, runId]);
        const inputId = inserted.rows[0]?.input_uuid;
        if (inputId && ds.tags.length > 0) await sql.query(q.INSERT_INPUT_TAGS, [inputId, ds.tags.map((t) => t.key), ds.tags.map((t) => t.value)]);
      }
      for (const modelId of modelIds) await sql.query(q.INSERT_INPUT, [inputUuid('MODEL', modelId, runId), 'MODEL', modelId, runId]);
      return;
    }
    case T.outputsLogged:
      await sql.query(q.INSERT_RUN_OUTPUTS, [event.data.runId, event.data.models.map((m) => m.modelId), event.data.models.map((m) => m.step)]);
      return;
    case T.modelLogged:
      await sql.query(q.APPEND_LOG_MODEL_HISTORY, [event.data.runId, JSON.stringify(event.data.model)]);
      return;
    case T.loggedModelCreated: {
      const d = event.data;
      await sql.query(q.INSERT_LOGGED_MODEL, [
        d.modelId,
        d.experimentId,
        d.name,
        d.artifactLocation,
        d.creationTime,
        d.status,
        d.modelType ?? null,
        d.sourceRunId ?? null,
      ]);
      if (d.tags.length > 0) await sql.query(q.UPSERT_LOGGED_MODEL_TAGS, [d.modelId, d.tags.map((t) => t.key), d.tags.map((t) => t.value)]);
      if (d.params.length > 0) await sql.query(q.UPSERT_LOGGED_MODEL_PARAMS, [d.modelId, d.params.map((p) => p.key), d.params.map((p) => p.value)]);
      return;
    }
    case T.loggedModelFinalized:
      await sql.query(q.SET_LOGGED_MODEL_STATUS, [event.data.modelId, event.data.status, event.data.updatedTime]);
      return;
    case T.loggedModelDeleted:
      await sql.query(q.SET_LOGGED_MODEL_STAGE, [event.data.modelId, 'deleted', event.data.deletedTime]);
      return;
    case T.loggedModelTagsSet: {
      const d = event.data;
      await sql.query(q.UPSERT_LOGGED_MODEL_TAGS, [d.modelId, d.tags.map((t) => t.key), d.tags.map((t) => t.value)]);
      await sql.query(q.TOUCH_LOGGED_MODEL, [d.modelId, d.updatedTime]);
      return;
    }
    case T.loggedModelTagDeleted:
      await sql.query(q.DELETE_LOGGED_MODEL_TAG, [event.data.modelId, event.data.key]);
      await sql.query(q.TOUCH_LOGGED_MODEL, [event.data.modelId, event.data.updatedTime]);
      return;
    case T.loggedModelParamsLogged: {
      const d = event.data;
      await sql.query(q.UPSERT_LOGGED_MODEL_PARAMS, [d.modelId, d.params.map((p) => p.key), d.params.map((p) => p.value)]);
      await sql.query(q.TOUCH_LOGGED_MODEL, [d.modelId, d.updatedTime]);
      return;
    }
    case T.traceLogged: {
      const d = event.data;
      const runId = d.metadata.find((m) => m.key === TRACE_SOURCE_RUN_METADATA)?.value ?? null;
      await sql.query(tq.UPSERT_TRACE, [
        d.traceId,
        d.experimentId,
        d.requestTime,
        d.executionDuration ?? null,
        d.state,
        d.requestPreview ?? null,
        d.responsePreview ?? null,
        d.clientRequestId ?? null,
        runId,
      ]);
      if (d.tags.length > 0) await sql.query(tq.UPSERT_TRACE_TAGS, [d.traceId, d.tags.map((t) => t.key), d.tags.map((t) => t.value)]);
      if (d.metadata.length > 0) await sql.query(tq.UPSERT_TRACE_METADATA, [d.traceId, d.metadata.map((m) => m.key), d.metadata.map((m) => m.value)]);
      for (const a of d.assessments) await projectAssessment(sql, d.traceId, a);
      return;
    }
    case T.traceTagSet:
      await sql.query(tq.UPSERT_TRACE_TAGS, [event.data.traceId, [event.data.key], [event.data.value]]);
      return;
    case T.traceTagDeleted:
      await sql.query(tq.DELETE_TRACE_TAG, [event.data.traceId, event.data.key]);
      return;
    case T.traceDeleted:
      await sql.query(tq.DELETE_TRACE, [event.data.traceId]);
      return;
    case T.traceAssessmentSet:
      await projectAssessment(sql, event.data.traceId, event.data.assessment);
      return;
    case T.traceAssessmentDeleted:
      await sql.query(tq.DELETE_TRACE_ASSESSMENT, [event.data.traceId, event.data.assessmentId]);
      return;
    default:
      return assertNever(event, 'event');
  }
}

/*
 * Dataset and input ids are named by the row's natural key (its unique constraint), not drawn at
 * random: replaying tracking.events gives every row the id it had. MLflow's wire never shows them
 * (a DatasetInput is its dataset's name/digest/source plus tags), so only their shape — 32 hex
 * digits, as MLflow's uuid4().hex — is kept.
 */
const datasetUuid = (experimentId: string, name: string, digest: string) => nameBasedUuid('tracking.dataset', experimentId, name, digest).replace(/-/g, '');
const inputUuid = (sourceType: 'DATASET' | 'MODEL', sourceId: string, runId: string) =>
  nameBasedUuid('tracking.input', sourceType, sourceId, 'RUN', runId).replace(/-/g, '');

/** A statement the metric projection would otherwise queue for the commit, run now. */
const runNow = (sql: UnitOfWork, { name, text, values }: DeferredStatement) =>
  name === undefined ? sql.query(text, values) : sql.query({ name, text, values });

/**
 * One set-based statement for up to 1000 points (history and latest per key), plus one for the
 * logged-model copies when a point names a model. Named, so each pooled connection parses and
 * plans it once: planning the CTE cost as much as running it for a single point.
 */

async function projectMetrics(run: (statement: DeferredStatement) => unknown, runId: string, metrics: MetricPoint[]): Promise<void> {
  const points = metrics.map((m): StoredPoint => {
    const stored = toStored(fromWireDouble(m.value));
    return {
      key: m.key,
      value: stored.value,
      isNan: stored.isNan,
      timestamp: m.timestamp,
      step: m.step,
      modelId: m.modelId ?? null,
      datasetName: m.datasetName ?? null,
      datasetDigest: m.datasetDigest ?? null,
    };
  });
  const { history, latest } = planMetricWrites(points);
  await run({
    name: 'tracking.apply_metric_points',
    text: q.APPLY_METRIC_POINTS,
    values: [runId, ...pointArrays(history), ...pointArrays(latest).slice(0, 5), chunkNumbers(history)],
  });
  const modelPoints = points.filter((p) => p.modelId !== null);
  if (modelPoints.length > 0) await run({ text: q.APPLY_LOGGED_MODEL_METRIC_POINTS, values: [runId, ...pointArrays(modelPoints)] });
}

/** Each point's chunk, as an array literal: a new chunk at every key and every METRIC_CHUNK_POINTS points of a key (points come in key order). */
function chunkNumbers(points: readonly StoredPoint[]): string {
  const numbers = new Array<number>(points.length);
  let chunk = 0;
  let inChunk = 0;
  for (let i = 0; i < points.length; i++) {
    if (i > 0 && (points[i].key !== points[i - 1].key || inChunk === METRIC_CHUNK_POINTS)) {
      chunk++;
      inChunk = 0;
    }
    numbers[i] = chunk;
    inChunk++;
  }
  return `{${numbers.join(',')}}`;
}

/**
 * Postgres array literals, built here rather than by `pg` (which quotes and escapes every element):
 * keys, values, timestamps, steps, is_nan, then model_id, dataset_name, dataset_digest — each of
 * those three NULL when no point sets it. Numbers print as their shortest round-trip form, which
 * float8in/int8in read back exactly (±Infinity included); NaN never gets here (stored as 0).
 */
function pointArrays(points: readonly StoredPoint[]): [string, string, string, string, string, string | null, string | null, string | null] {
  const quoted = new Map<string, string>();
  const text = (value: string | null) => {
    if (value === null) return 'NULL';
    let literal = quoted.get(value);
    if (literal === undefined) {
      literal = `"${value.replace(/[\\"]/g, '\\$&')}"`;
      quoted.set(value, literal);
    }
    return literal;
  };
  const optional = (pick: (p: StoredPoint) => string | null) =>
    points.some((p) => pick(p) !== null) ? `{${points.map((p) => text(pick(p))).join(',')}}` : null;
  return [
    `{${points.map((p) => text(p.key)).join(',')}}`,
    `{${points.map((p) => p.value).join(',')}}`,
    `{${points.map((p) => p.timestamp).join(',')}}`,
    `{${points.map((p) => p.step).join(',')}}`,
    `{${points.map((p) => (p.isNan ? 't' : 'f')).join(',')}}`,
    optional((p) => p.modelId),
    optional((p) => p.datasetName),
    optional((p) => p.datasetDigest),
  ];
}
