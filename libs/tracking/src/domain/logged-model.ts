import { validateLoggedModelName } from './validation';
import {
  assertNever,
  invalidParameter,
  notFound,
  TRACKING_EVENT_TYPES as T,
  type KeyValue,
  type LoggedModelStatus,
  type TrackingEvent,
} from '@cairn/contracts';
import { lastValuePerKey, type LifecycleStage } from './run';

export interface LoggedModelState {
  modelId: string;
  experimentId: string;
  status: LoggedModelStatus;
  lifecycleStage: LifecycleStage;
  tagKeys: ReadonlySet<string>;
}

export function decideCreateLoggedModel(cmd: {
  modelId: string;
  experiment: { experimentId: string; lifecycleStage: LifecycleStage; artifactLocation: string } | null;
  requestedExperimentId: string;
  name: string;
  modelType?: string;
  sourceRunId?: string;
  params: KeyValue[];
  tags: KeyValue[];
  now: number;
}): TrackingEvent[] {
  validateLoggedModelName(cmd.name);
  if (!cmd.experiment) throw notFound(`No Experiment with id=${cmd.requestedExperimentId} exists`);
  if (cmd.experiment.lifecycleStage !== 'active') {
    throw invalidParameter(`The experiment ${cmd.experiment.experimentId} must be in the 'active' state. Current state is ${cmd.experiment.lifecycleStage}.`);
  }
  return [
    {
      type: T.loggedModelCreated,
      aggregateId: cmd.modelId,
      data: {
        modelId: cmd.modelId,
        experimentId: cmd.experiment.experimentId,
        name: cmd.name,
        artifactLocation: `${cmd.experiment.artifactLocation}/models/${cmd.modelId}/artifacts`,
        creationTime: cmd.now,
        status: 'LOGGED_MODEL_PENDING',
        ...(cmd.modelType !== undefined ? { modelType: cmd.modelType } : {}),
        ...(cmd.sourceRunId !== undefined ? { sourceRunId: cmd.sourceRunId } : {}),
        // Repeated keys in one request: the last value wins (one row per key in the read model).
        params: lastValuePerKey(cmd.params),
        tags: lastValuePerKey(cmd.tags),
      },
    },
  ];
}

export type LoggedModelCommand =
  | { kind: 'finalize'; status: LoggedModelStatus; now: number }
  | { kind: 'delete'; now: number }
  | { kind: 'setTags'; tags: KeyValue[]; now: number }
  | { kind: 'deleteTag'; key: string; now: number }
  | { kind: 'logParams'; params: KeyValue[]; now: number };

export function decideLoggedModel(state: LoggedModelState | null, requestedId: string, cmd: LoggedModelCommand): TrackingEvent[] {
  if (!state || state.lifecycleStage === 'deleted') throw notFound(`Logged model with ID '${requestedId}' not found.`);
  const modelId = state.modelId;
  switch (cmd.kind) {
    case 'finalize':
      if (cmd.status !== 'LOGGED_MODEL_READY' && cmd.status !== 'LOGGED_MODEL_UPLOAD_FAILED') {
        throw invalidParameter(`Invalid model status: ${cmd.status}. Expected LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED.`);
      }
      return [{ type: T.loggedModelFinalized, aggregateId: modelId, data: { modelId, status: cmd.status, updatedTime: cmd.now } }];
    case 'delete':
      return [{ type: T.loggedModelDeleted, aggregateId: modelId, data: { modelId, deletedTime: cmd.now } }];
    case 'setTags':
      if (cmd.tags.length === 0) return [];
      return [{ type: T.loggedModelTagsSet, aggregateId: modelId, data: { modelId, tags: lastValuePerKey(cmd.tags), updatedTime: cmd.now } }];
    case 'deleteTag':
      if (!state.tagKeys.has(cmd.key)) throw notFound(`No tag with key '${cmd.key}' found for logged model with ID '${modelId}'.`);
      return [{ type: T.loggedModelTagDeleted, aggregateId: modelId, data: { modelId, key: cmd.key, updatedTime: cmd.now } }];
    case 'logParams':
      if (cmd.params.length === 0) return [];
      return [{ type: T.loggedModelParamsLogged, aggregateId: modelId, data: { modelId, params: lastValuePerKey(cmd.params), updatedTime: cmd.now } }];
    default:
      return assertNever(cmd, 'command');
  }
}
