import type { KeyValue } from '@cairn/contracts';
import { toWireDouble } from '../domain/metrics';
import type { ExperimentView, LoggedModelView, MetricView, RunView } from '../application/views';

/**
 * MLflow's protobuf JSON (`message_to_json`): snake_case names, int64 as JSON numbers, enums as
 * names, NaN/±Infinity as strings, unset fields and empty repeated fields omitted.
 */
type Json = Record<string, unknown>;

function nonEmpty(target: Json, key: string, list: unknown[]): void {
  if (list.length > 0) target[key] = list;
}

const keyValues = (list: KeyValue[]) => list.map((kv) => ({ key: kv.key, value: kv.value }));

export function experimentJson(e: ExperimentView): Json {
  const out: Json = { experiment_id: e.experimentId, name: e.name, artifact_location: e.artifactLocation, lifecycle_stage: e.lifecycleStage };
  if (e.lastUpdateTime !== null) out.last_update_time = e.lastUpdateTime;
  if (e.creationTime !== null) out.creation_time = e.creationTime;
  nonEmpty(out, 'tags', keyValues(e.tags));
  return out;
}

export function metricJson(m: MetricView): Json {
  const out: Json = { key: m.key, value: toWireDouble(m.value), timestamp: m.timestamp, step: m.step };
  if (m.datasetName !== undefined) out.dataset_name = m.datasetName;
  if (m.datasetDigest !== undefined) out.dataset_digest = m.datasetDigest;
  if (m.modelId !== undefined) out.model_id = m.modelId;
  if (m.runId !== undefined) out.run_id = m.runId;
  return out;
}

export function runInfoJson(r: RunView): Json {
  const out: Json = {
    run_id: r.runId,
    run_uuid: r.runId,
    run_name: r.name,
    experiment_id: r.experimentId,
    user_id: r.userId,
    status: r.status,
  };
  if (r.startTime !== null) out.start_time = r.startTime;
  // Omitted while the run has not ended; the client maps absent to None.
  if (r.endTime !== null) out.end_time = r.endTime;
  out.artifact_uri = r.artifactUri;
  out.lifecycle_stage = r.lifecycleStage;
  return out;
}

export function runJson(r: RunView): Json {
  const data: Json = {};
  nonEmpty(data, 'metrics', r.metrics.map(metricJson));
  nonEmpty(data, 'params', keyValues(r.params));
  nonEmpty(data, 'tags', keyValues(r.tags));
  const inputs: Json = {};
  nonEmpty(
    inputs,
    'dataset_inputs',
    r.datasetInputs.map((d) => {
      const dataset: Json = { name: d.name, digest: d.digest, source_type: d.sourceType, source: d.source };
      if (d.schema !== null) dataset.schema = d.schema;
      if (d.profile !== null) dataset.profile = d.profile;
      const input: Json = { dataset };
      nonEmpty(input, 'tags', keyValues(d.tags));
      return input;
    }),
  );
  nonEmpty(
    inputs,
    'model_inputs',
    r.modelInputs.map((modelId) => ({ model_id: modelId })),
  );
  const outputs: Json = {};
  nonEmpty(
    outputs,
    'model_outputs',
    r.modelOutputs.map((o) => ({ model_id: o.modelId, step: o.step })),
  );
  return { info: runInfoJson(r), data, inputs, outputs };
}

export function loggedModelJson(m: LoggedModelView): Json {
  const info: Json = {
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
  const registrations = registrationsOf(m.tags);
  nonEmpty(info, 'registrations', registrations);
  const data: Json = {};
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
