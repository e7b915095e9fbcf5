import type { ErrorCode, ModelStage, RunStatus } from '@cairn/contracts';

/**
 * MLflow's JSON shapes as the server sends them (mlflow-api.md §3): snake_case, int64 as numbers,
 * model versions as strings, unset fields omitted. The client returns them as they are, so what a
 * script reads is what the REST reference documents.
 */
export type { ErrorCode, ModelStage, RunStatus };

export interface KeyValue {
  key: string;
  value: string;
}

/** A metric value on the wire: protobuf JSON carries NaN and ±Infinity as strings. */
export type WireDouble = number | 'NaN' | 'Infinity' | '-Infinity';

export interface Metric {
  key: string;
  value: WireDouble;
  timestamp: number;
  step: number;
}

export type LifecycleStage = 'active' | 'deleted';
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  creation_time?: number;
  last_update_time?: number;
  tags?: KeyValue[];
}

export interface RunInfo {
  run_id: string;
  run_uuid?: string;
  run_name?: string;
  experiment_id: string;
  user_id?: string;
  status: RunStatus;
  start_time: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: LifecycleStage;
}

export interface Run {
  info: RunInfo;
  data: { metrics?: Metric[]; params?: KeyValue[]; tags?: KeyValue[] };
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

export interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: ModelStage;
  description?: string;
  source: string;
  run_id?: string;
  status: 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';
  tags?: KeyValue[];
  run_link?: string;
  aliases?: string[];
  model_id?: string;
}

export interface RegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description?: string;
  latest_versions?: ModelVersion[];
  tags?: KeyValue[];
  aliases?: { alias: string; version: string }[];
}

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

/** `GET /api/2.0/cairn/registered-models/history` (libs/registry/openapi.yaml). */
export interface ModelHistory {
  name: string;
  changes: {
    event_id: string;
    type: string;
    actor: string;
    timestamp: number;
    time: string;
    sequence: number;
    model_name: string;
    version?: string;
    before: Record<string, unknown> | null;
    after: Record<string, unknown> | null;
  }[];
}

/** `GET /api/2.0/cairn/model-versions/lineage`. */
export interface ModelVersionLineage {
  model_version: ModelVersion;
  artifact_uri: string;
  environment_files: string[];
  run_id?: string;
  run_known: boolean;
  run?: {
    run_id: string;
    run_name?: string;
    experiment_id: string;
    status: RunStatus;
    lifecycle_stage: LifecycleStage;
    start_time: number;
    end_time?: number;
    artifact_uri: string;
    params: Record<string, string>;
    metrics: Record<string, WireDouble>;
    tags: Record<string, string>;
  };
  code?: { commit?: string; commit_tag?: string; repo_url?: string; branch?: string; source_name?: string };
  data?: { dvc_data_hash?: string; datasets?: Record<string, unknown>[] };
}

/** `GET /api/2.0/cairn/registered-models/alias/resolve`: the registry's wire type. */
export type { AliasResolution } from '@cairn/contracts';

/** `GET /api/2.0/cairn/registered-models/as-of`. */
export interface ModelAsOf {
  name: string;
  as_of: number;
  existed: boolean;
  alias?: string;
  version?: string;
  stage?: string;
  versions?: unknown[];
  latest_version?: string;
  aliases?: { alias: string; version: string }[];
}

/** `POST /api/2.0/cairn/registered-models/promote`. */
export interface PromotionDecision {
  promoted: boolean;
  reason: string;
  challenger_version: string;
  champion_version?: string;
  metric: string;
  challenger_value: number | null;
  champion_value: number | null;
  target?: Record<string, unknown>;
}

export type WebhookEntity =
  | 'REGISTERED_MODEL'
  | 'MODEL_VERSION'
  | 'MODEL_VERSION_TAG'
  | 'MODEL_VERSION_ALIAS'
  | 'PROMPT'
  | 'PROMPT_VERSION'
  | 'PROMPT_TAG'
  | 'PROMPT_VERSION_TAG'
  | 'PROMPT_ALIAS';
export type WebhookAction = 'CREATED' | 'UPDATED' | 'DELETED' | 'SET';
export interface WebhookEvent {
  entity: WebhookEntity;
  action: WebhookAction;
}

/** MLflow 3.3+ `Webhook` (webhooks.proto); the secret is never returned. */
export interface Webhook {
  webhook_id: string;
  name: string;
  description?: string;
  url: string;
  events: WebhookEvent[];
  status: 'ACTIVE' | 'DISABLED';
  creation_timestamp: number;
  last_updated_timestamp: number;
}

export interface WebhookTestResult {
  success: boolean;
  response_status?: number;
  response_body?: string;
  error_message?: string;
}

/**
 * One delivery attempt log entry (`/api/2.0/cairn/webhooks/deliveries`). Typed loosely on purpose:
 * the endpoint is young, and a client that rejected an extra field would break on every addition.
 */
export interface WebhookDelivery {
  delivery_id: string;
  webhook_id?: string;
  [field: string]: unknown;
}

/** `POST /api/2.0/cairn/gc`. */
export interface GcResult {
  dry_run: boolean;
  purged_runs: string[];
  purged_experiments: string[];
  /** Runs kept because live model versions still reference them. */
  skipped: { run_id: string; reason: string; model_versions?: { name: string; version: string }[] }[];
  skipped_experiments?: { experiment_id: string; reason: string }[];
}

export interface MlflowErrorBody {
  error_code: ErrorCode | string;
  message: string;
}
