import type { KeyValue, RunStatus, WireDouble } from '../events/tracking';
import type { ModelStage } from '../events/registry';
import type { LifecycleStage, NextPageToken } from './common';

/**
 * The registry's MLflow wire shapes (model_registry.proto) and Cairn's registry extensions
 * (libs/registry/openapi.yaml): versions as strings, timestamps as numbers, unset optional fields
 * omitted (never null).
 */

export type ModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';

export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id?: string;
  current_stage: ModelStage;
  description?: string;
  source: string;
  run_id?: string;
  status: ModelVersionStatus;
  tags: KeyValue[];
  run_link?: string;
  aliases: string[];
  /** The MLflow 3 logged model the version was registered from. */
  model_id?: string;
}

export interface RegisteredModelAlias {
  alias: string;
  version: string;
}

export interface RegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description?: string;
  latest_versions: ModelVersion[];
  tags: KeyValue[];
  aliases: RegisteredModelAlias[];
}

// ---- response bodies --------------------------------------------------------------------------

export interface GetRegisteredModelResponse {
  registered_model: RegisteredModel;
}
export interface SearchRegisteredModelsResponse extends NextPageToken {
  registered_models: RegisteredModel[];
}
export interface GetModelVersionResponse {
  model_version: ModelVersion;
}
export interface SearchModelVersionsResponse extends NextPageToken {
  model_versions: ModelVersion[];
}
/** `get-latest-versions`: `{}` when no version matches. */
export interface GetLatestVersionsResponse {
  model_versions?: ModelVersion[];
}
export interface GetModelVersionDownloadUriResponse {
  artifact_uri: string;
}

// ---- Cairn's registry extensions (`/api/2.0/cairn`) -------------------------------------------

/**
 * Body of `GET registered-models/alias/resolve`: what an alias points at. The registry serves it
 * and the SDK's alias watchers read it.
 */
export interface AliasResolution {
  name: string;
  alias: string;
  version: string;
  run_id?: string;
  model_id?: string;
  source: string;
  artifact_uri: string;
  current_stage: ModelStage;
}

/** `GET registered-models/history`: every change of a model, oldest first. */
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

/** `GET registered-models/as-of`: with `alias=`, with `stage=`, or the whole model. */
export interface ModelAsOf {
  name: string;
  as_of: number;
  existed: boolean;
  alias?: string;
  version?: string;
  stage?: ModelStage;
  /** Version numbers (with `stage=`), or every version with its stage (whole model). */
  versions?: string[] | { version: string; current_stage: ModelStage }[];
  latest_version?: string;
  aliases?: RegisteredModelAlias[];
}

/** `GET model-versions/lineage`: version → run → experiment, params, final metrics, code, data. */
export interface ModelVersionLineage {
  model_version: ModelVersion;
  artifact_uri: string;
  environment_files: string[];
  run_id?: string;
  /** The registry learns runs from tracking's events: false for a run it has not heard of yet. */
  run_known: boolean;
  run?: {
    run_id: string;
    run_name: string;
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
  data?: { dvc_data_hash?: string; datasets: { name: string; digest: string; source: string; context: string | null }[] };
}

/** `GET registry/run-references`: the live model versions that reference a run. */
export interface RunReferences {
  run_id: string;
  referenced: boolean;
  model_versions: { name: string; version: string; current_stage: ModelStage }[];
}

/** `POST registered-models/promote`: champion/challenger on the runs' final metric. */
export interface PromotionDecision {
  promoted: boolean;
  reason: string;
  challenger_version: string;
  champion_version?: string;
  metric: string;
  challenger_value: number | null;
  champion_value: number | null;
  target: { stage: ModelStage } | { alias: string };
}

// ---- request bodies (what a client sends; the server's zod schemas read these fields) -----------

export interface CreateRegisteredModelRequest {
  name: string;
  description?: string;
  tags?: KeyValue[];
}
export interface RegisteredModelNameRequest {
  name: string;
}
export interface CreateModelVersionRequest {
  name: string;
  source: string;
  run_id?: string;
  tags?: KeyValue[];
  run_link?: string;
  description?: string;
  model_id?: string;
}
export interface ModelVersionRequest {
  name: string;
  version: string;
}
export interface GetLatestVersionsRequest {
  name: string;
  stages?: string[];
}
export interface TransitionModelVersionStageRequest extends ModelVersionRequest {
  stage: ModelStage;
  archive_existing_versions?: boolean;
}
export interface SetRegisteredModelAliasRequest {
  name: string;
  alias: string;
  version: string;
}
export interface RegisteredModelAliasRequest {
  name: string;
  alias: string;
}
/** `POST /api/2.0/cairn/registered-models/promote`: the target is a stage or an alias, not both. */
export interface PromoteRequest {
  name: string;
  /** A version number or an alias. */
  challenger: string;
  metric: string;
  min_delta?: number;
  direction?: 'higher_is_better' | 'lower_is_better';
  stage?: ModelStage;
  alias?: string;
  archive_existing_versions?: boolean;
}
