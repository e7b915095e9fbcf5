import type { DatasetInput, Experiment, KeyValue, LoggedModel, LoggedModelInfo, Metric, Run, RunData, RunInfo, RunInputs, RunOutputs } from '@cairn/contracts';
import { toWireDouble } from '../domain/metrics';
import type { ExperimentView, LoggedModelView, MetricView, RunView } from '../application/views';

/**
 * MLflow's protobuf JSON (`message_to_json`): snake_case names, int64 as JSON numbers, enums as
 * names, NaN/±Infinity as strings, unset fields and empty repeated fields omitted. The shapes are
 * `@cairn/contracts`' wire types, which the SDK reads.
 */

/** Sets `target[key]` only when the list has entries (protobuf JSON drops empty repeated fields). */
function nonEmpty<T, K extends keyof T>(target: T, key: K, list: NonNullable<T[K]> & unknown[]): void {
  if (list.length > 0) target[key] = list;
}

const keyValues = (list: KeyValue[]): KeyValue[] => list.map((kv) => ({ key: kv.key, value: kv.value }));

export function experimentJson(e: ExperimentView): Experiment {
  const out: Experiment = { experiment_id: e.experimentId, name: e.name, artifact_location: e.artifactLocation, lifecycle_stage: e.lifecycleStage };
  if (e.lastUpdateTime !== null) out.last_update_time = e.lastUpdateTime;
  if (e.creationTime !== null) out.creation_time = e.creationTime;
  nonEmpty(out, 'tags', keyValues(e.tags));
  return out;
}

export function metricJson(m: MetricView): Metric {
  const out: Metric = { key: m.key, value: toWireDouble(m.value), timestamp: m.timestamp, step: m.step };
  if (m.datasetName !== undefined) out.dataset_name = m.datasetName;
  if (m.datasetDigest !== undefined) out.dataset_digest = m.datasetDigest;
  if (m.modelId !== undefined) out.model_id = m.modelId;
  if (m.runId !== undefined) out.run_id = m.runId;
  return out;
}

export function runInfoJson(r: RunView): RunInfo {
  // Key order is the JSON's field order: start_time and end_time sit before artifact_uri.
  const times: Pick<RunInfo, 'start_time' | 'end_time'> = {};
  if (r.startTime !== null) times.start_time = r.startTime;
  // Omitted while the run has not ended; the client maps absent to None.
  if (r.endTime !== null) times.end_time = r.endTime;
  return {
    run_id: r.runId,
    run_uuid: r.runId,
    run_name: r.name,
    experiment_id: r.experimentId,
    user_id: r.userId,
    status: r.status,
    ...times,
    artifact_uri: r.artifactUri,
    lifecycle_stage: r.lifecycleStage,
  };
}

export function runJson(r: RunView): Run {
  const data: RunData = {};
  nonEmpty(data, 'metrics', r.metrics.map(metricJson));
  nonEmpty(data, 'params', keyValues(r.params));
  nonEmpty(data, 'tags', keyValues(r.tags));
  const inputs: RunInputs = {};
  nonEmpty(
    inputs,
    'dataset_inputs',
    r.datasetInputs.map((d) => {
      const input: DatasetInput = { dataset: { name: d.name, digest: d.digest, source_type: d.sourceType, source: d.source } };
      if (d.schema !== null) input.dataset.schema = d.schema;
      if (d.profile !== null) input.dataset.profile = d.profile;
      nonEmpty(input, 'tags', keyValues(d.tags));
      return input;
    }),
  );
  nonEmpty(
    inputs,
    'model_inputs',
    r.modelInputs.map((modelId) => ({ model_id: modelId })),
  );
  const outputs: RunOutputs = {};
  nonEmpty(
    outputs,
    'model_outputs',
    r.modelOutputs.map((o) => ({ model_id: o.modelId, step: o.step })),
  );
  return { info: runInfoJson(r), data, inputs, outputs };
}

export function loggedModelJson(m: LoggedModelView): LoggedModel {
  const info: LoggedModelInfo = {
    model_id: m.modelId,
    experiment_id: m.experimentId,
    name: m.name,
    creation_timestamp_ms: m.creationTimestampMs,
    last_updated_timestamp_ms: m.lastUpdatedTimestampMs,
    artifact_uri: m.artifactUri,
    status: m.status,
  };
  if (m.modelType !== null) info.model_type = m.modelType;
  if (m.sourceRunId !== null) info.source_run_id = m.sourceRunId;
  if (m.statusMessage !== null) info.status_message = m.statusMessage;
  nonEmpty(info, 'tags', keyValues(m.tags));
  nonEmpty(info, 'registrations', registrationsOf(m.tags));
  const data: LoggedModel['data'] = {};
  nonEmpty(data, 'params', keyValues(m.params));
  nonEmpty(data, 'metrics', m.metrics.map(metricJson));
  return { info, data };
}

/** Registrations recorded by the 3.x client in the `mlflow.modelVersions` tag (a JSON list). */
function registrationsOf(tags: KeyValue[]): { name: string; version: string }[] {
  const tag = tags.find((t) => t.key === 'mlflow.modelVersions');
  if (!tag) return [];
  try {
    const list: unknown = JSON.parse(tag.value);
    if (!Array.isArray(list)) return [];
    return list.flatMap((r: unknown) => {
      const entry = r as { name?: unknown; version?: unknown };
      return typeof entry?.name === 'string' && (typeof entry.version === 'string' || typeof entry.version === 'number')
        ? [{ name: entry.name, version: String(entry.version) }]
        : [];
    });
  } catch {
    return [];
  }
}
