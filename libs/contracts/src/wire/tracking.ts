import type { KeyValue, LoggedModelStatus, RunStatus, TraceState, WireDouble } from '../events/tracking';
import type { LifecycleStage, NextPageToken, ViewType } from './common';

/**
 * Tracking's MLflow wire shapes (service.proto). Fields the server always sends are required here;
 * the ones it omits when unset are optional, so a reader cannot forget the absent case.
 */

export interface Metric {
  key: string;
  value: WireDouble;
  timestamp: number;
  step: number;
  dataset_name?: string;
  dataset_digest?: string;
  model_id?: string;
  run_id?: string;
}

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  last_update_time?: number;
  creation_time?: number;
  /** Omitted when the experiment has none (protobuf JSON drops empty repeated fields). */
  tags?: KeyValue[];
}

export interface RunInfo {
  run_id: string;
  /** Deprecated alias of `run_id`, still read by older clients. */
  run_uuid: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: RunStatus;
  start_time?: number;
  /** Omitted while the run has not ended; the client maps absent to None. */
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: LifecycleStage;
}

export interface RunData {
  metrics?: Metric[];
  params?: KeyValue[];
  tags?: KeyValue[];
}

export interface Dataset {
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema?: string;
  profile?: string;
}

export interface DatasetInput {
  tags?: KeyValue[];
  dataset: Dataset;
}

export interface ModelInput {
  model_id: string;
}

export interface ModelOutput {
  model_id: string;
  step: number;
}

export interface RunInputs {
  dataset_inputs?: DatasetInput[];
  model_inputs?: ModelInput[];
}

export interface RunOutputs {
  model_outputs?: ModelOutput[];
}

export interface Run {
  info: RunInfo;
  data: RunData;
  inputs: RunInputs;
  outputs: RunOutputs;
}

/** MLflow 3's `LoggedModel` (`logged-models` routes). */
export interface LoggedModelInfo {
  model_id: string;
  experiment_id: string;
  name: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  artifact_uri: string;
  status: LoggedModelStatus;
  model_type?: string;
  source_run_id?: string;
  status_message?: string;
  tags?: KeyValue[];
  registrations?: { name: string; version: string }[];
}

export interface LoggedModel {
  info: LoggedModelInfo;
  data: { params?: KeyValue[]; metrics?: Metric[] };
}

/** The web UI's `experiments/search-datasets` entry. */
export interface DatasetSummary {
  experiment_id: string;
  name: string;
  digest: string;
  context?: string;
}

/** One entry of `artifacts/list`: a run-relative path. */
export interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

// ---- response bodies --------------------------------------------------------------------------

export interface CreateExperimentResponse {
  experiment_id: string;
}
export interface GetExperimentResponse {
  experiment: Experiment;
}
export interface SearchExperimentsResponse extends NextPageToken {
  experiments?: Experiment[];
}
export interface SearchDatasetsResponse {
  dataset_summaries?: DatasetSummary[];
}
export interface GetRunResponse {
  run: Run;
}
export interface UpdateRunResponse {
  run_info: RunInfo;
}
export interface SearchRunsResponse extends NextPageToken {
  runs?: Run[];
}
export interface GetMetricHistoryResponse extends NextPageToken {
  metrics?: Metric[];
}
export interface GetMetricHistoryBulkIntervalResponse {
  metrics?: Metric[];
}
export interface GetLoggedModelResponse {
  model: LoggedModel;
}
export interface SearchLoggedModelsResponse extends NextPageToken {
  models?: LoggedModel[];
}
export interface ListArtifactsResponse extends NextPageToken {
  root_uri?: string;
  files?: FileInfo[];
}

// ---- MLflow 3 traces (`/api/3.0/mlflow/traces`, tags and deletes under `/api/2.0/mlflow/traces`) ----

/** `TraceInfoV3` as protobuf JSON: times are RFC 3339 Timestamps, the duration a Duration (`"0.437s"`). */
export interface TraceInfoV3 {
  trace_id: string;
  trace_location: { type: 'MLFLOW_EXPERIMENT'; mlflow_experiment: { experiment_id: string } };
  request_time: string;
  execution_duration?: string;
  state: TraceState;
  request_preview?: string;
  response_preview?: string;
  client_request_id?: string;
  trace_metadata?: Record<string, string>;
  tags?: Record<string, string>;
  /** MLflow's `Assessment` messages, as logged. */
  assessments?: Record<string, unknown>[];
}
/** StartTraceV3 and GetTraceInfoV3. Spans are not here: they are `traces.json` in the artifact location. */
export interface TraceResponse {
  trace: { trace_info: TraceInfoV3 };
}
export interface BatchGetTracesResponse {
  traces: { trace_info: TraceInfoV3 }[];
}
export interface BatchGetTraceInfosResponse {
  trace_infos: TraceInfoV3[];
}
export interface SearchTracesV3Response extends NextPageToken {
  traces?: TraceInfoV3[];
}
export interface DeleteTracesResponse {
  traces_deleted: number;
}
export interface AssessmentResponse {
  assessment: Record<string, unknown>;
}
/** QueryTraceMetrics' MetricDataPoint; empty maps are left out, as protobuf JSON leaves them out. */
export interface MetricDataPoint {
  metric_name: string;
  dimensions?: Record<string, string>;
  values?: Record<string, number>;
}
/** QueryTraceMetrics: no `data_points` when there are none; MLflow 3.18 never sets `next_page_token`. */
export interface QueryTraceMetricsResponse extends NextPageToken {
  data_points?: MetricDataPoint[];
}

// ---- Cairn's run-lifecycle endpoints (`/api/2.0/cairn`) ---------------------------------------

/** `POST runs/heartbeat`: a client whose run was reaped (KILLED) learns it here. */
export interface HeartbeatResponse {
  run_status: RunStatus;
}

/** `POST runs/reap-orphans`. */
export interface ReapOrphansResult {
  dry_run: boolean;
  reaped_runs: string[];
}

/** `POST gc`. */
export interface GcResult {
  dry_run: boolean;
  purged_runs: string[];
  purged_experiments: string[];
  /** Runs kept because live model versions still reference them. */
  skipped: { run_id: string; reason: string; model_versions?: { name: string; version: string }[] }[];
  skipped_experiments?: { experiment_id: string; reason: string }[];
}

// ---- request bodies (what a client sends; the server's zod schemas read these fields) -----------

export interface CreateExperimentRequest {
  name: string;
  artifact_location?: string;
  tags?: KeyValue[];
}
export interface ExperimentIdRequest {
  experiment_id: string;
}
export interface UpdateExperimentRequest {
  experiment_id: string;
  new_name: string;
}
export interface SearchExperimentsRequest {
  filter?: string;
  order_by?: string[];
  max_results?: number;
  page_token?: string;
  view_type?: ViewType;
}
export interface CreateRunRequest {
  experiment_id?: string;
  run_name?: string;
  start_time?: number;
  user_id?: string;
  tags?: KeyValue[];
}
/** Run routes take `run_id`, or the deprecated `run_uuid` when only that one is sent. */
export interface RunIdRequest {
  run_id: string;
  run_uuid?: string;
}
export interface UpdateRunRequest extends RunIdRequest {
  status?: RunStatus;
  end_time?: number;
  run_name?: string;
}
export interface SearchRunsRequest {
  experiment_ids?: string[];
  filter?: string;
  run_view_type?: ViewType;
  max_results?: number;
  order_by?: string[];
  page_token?: string;
}
export interface LogBatchRequest extends RunIdRequest {
  /** `run_id` is the batch's; a point's own `run_id` is an answer-only field (bulk-interval histories). */
  metrics?: Omit<Metric, 'run_id'>[];
  params?: KeyValue[];
  tags?: KeyValue[];
}
export interface RunKeyValueRequest extends RunIdRequest {
  key: string;
  value: string;
}
export interface DeleteTagRequest extends RunIdRequest {
  key: string;
}
export interface GetMetricHistoryRequest extends RunIdRequest {
  metric_key: string;
  page_token?: string;
  max_results?: number;
}
/** `POST /api/2.0/cairn/gc`: `older_than_days` overrides the configured retention. */
export interface GcRequest {
  dry_run?: boolean;
  older_than_days?: number;
}

/** One change of a run in `GET /api/2.0/cairn/runs/history` (Cairn's; newest first). */
export interface RunHistoryEntry {
  event_id: string;
  /** The event's type, e.g. `tracking.params.logged.v1`. */
  type: string;
  /** Who made the change: the user or token that sent the request. */
  actor: string;
  /** ISO-8601. */
  time: string;
  /** The change's place in the run's stream, from 1. */
  sequence: number;
  /** One line a person reads: "Status → FINISHED", "3 params: lr=0.05, …". */
  summary: string;
  details: Record<string, unknown>;
}

export interface RunHistoryResponse {
  run_id: string;
  changes: RunHistoryEntry[];
  next_page_token?: string;
}
