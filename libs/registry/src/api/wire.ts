import type { ModelVersion, ModelVersionStatus, RegisteredModel } from '@cairn/contracts';
import type { ModelVersionView, RegisteredModelView } from '../application/views';

/**
 * MLflow's JSON shapes (model_registry.proto), as `@cairn/contracts`' wire types: snake_case,
 * versions as strings, timestamps as numbers, unset optional fields omitted (never null).
 */
export function modelVersionJson(v: ModelVersionView): ModelVersion {
  return {
    name: v.name,
    version: v.version,
    creation_timestamp: v.creationTimestamp,
    last_updated_timestamp: v.lastUpdatedTimestamp,
    ...(v.userId !== null ? { user_id: v.userId } : {}),
    current_stage: v.currentStage,
    ...(v.description !== null ? { description: v.description } : {}),
    source: v.source,
    ...(v.runId !== null ? { run_id: v.runId } : {}),
    // The read model's text column only ever holds one of MLflow's statuses (versions are READY at creation).
    status: v.status as ModelVersionStatus,
    tags: v.tags,
    ...(v.runLink !== null ? { run_link: v.runLink } : {}),
    aliases: v.aliases,
    ...(v.loggedModelId !== null ? { model_id: v.loggedModelId } : {}),
  };
}

export function registeredModelJson(m: RegisteredModelView): RegisteredModel {
  return {
    name: m.name,
    creation_timestamp: m.creationTimestamp,
    last_updated_timestamp: m.lastUpdatedTimestamp,
    ...(m.description !== null ? { description: m.description } : {}),
    latest_versions: m.latestVersions.map(modelVersionJson),
    tags: m.tags,
    aliases: m.aliases,
  };
}
