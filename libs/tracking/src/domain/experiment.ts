import { alreadyExists, assertNever, invalidParameter, notFound, TRACKING_EVENT_TYPES as T, type KeyValue, type TrackingEvent } from '@cairn/contracts';
import { experimentGcVerdict } from './lifecycle';
import { lastValuePerKey, type LifecycleStage } from './run';
import { validateExperimentName, validateExperimentTag } from './validation';

export const DEFAULT_EXPERIMENT_ID = '0';

export interface ExperimentState {
  experimentId: string;
  name: string;
  lifecycleStage: LifecycleStage;
  tagKeys: ReadonlySet<string>;
}

/** Another experiment holding a name, active or deleted: deleted experiments keep their names in MLflow. */
export interface NameHolder {
  experimentId: string;
  lifecycleStage: LifecycleStage;
}

function nameTaken(name: string, holder: NameHolder): never {
  if (holder.lifecycleStage === 'deleted') {
    throw alreadyExists(
      `Experiment '${name}' already exists in deleted state. You can restore the experiment, or permanently delete the experiment from the .trash folder (under tracking server's root folder) in order to use this experiment name again.`,
    );
  }
  throw alreadyExists(`Experiment '${name}' already exists.`);
}

export function decideCreateExperiment(cmd: {
  experimentId: string;
  name: string;
  artifactLocation: string;
  tags: KeyValue[];
  now: number;
  nameHolder: NameHolder | null;
}): TrackingEvent[] {
  validateExperimentName(cmd.name);
  for (const tag of cmd.tags) validateExperimentTag(tag.key, tag.value);
  if (cmd.nameHolder) nameTaken(cmd.name, cmd.nameHolder);
  return [
    {
      type: T.experimentCreated,
      aggregateId: cmd.experimentId,
      data: { experimentId: cmd.experimentId, name: cmd.name, artifactLocation: cmd.artifactLocation, creationTime: cmd.now, tags: lastValuePerKey(cmd.tags) },
    },
  ];
}

export type ExperimentCommand =
  | { kind: 'rename'; newName: string; nameHolder: NameHolder | null; now: number }
  | { kind: 'delete'; runIds: string[]; now: number }
  | { kind: 'restore'; runIds: string[]; now: number }
  | { kind: 'setTag'; key: string; value: string }
  | { kind: 'deleteTag'; key: string }
  /** Garbage collection; `deletedTime` and `remainingRuns` are read under the experiment's row lock. */
  | { kind: 'purge'; cutoff: number; deletedTime: number | null; remainingRuns: { runId: string; why: string }[] };

export function decideExperiment(state: ExperimentState | null, requestedId: string, cmd: ExperimentCommand): TrackingEvent[] {
  if (!state) throw notFound(`No Experiment with id=${requestedId} exists`);
  const experimentId = state.experimentId;
  switch (cmd.kind) {
    case 'rename':
      validateExperimentName(cmd.newName);
      if (state.lifecycleStage !== 'active') throw invalidParameter('Cannot rename a non-active experiment.');
      if (cmd.newName === state.name) return [];
      if (cmd.nameHolder && cmd.nameHolder.experimentId !== experimentId) nameTaken(cmd.newName, cmd.nameHolder);
      return [{ type: T.experimentRenamed, aggregateId: experimentId, data: { experimentId, name: cmd.newName, updatedTime: cmd.now } }];
    case 'delete':
      // The client falls back to experiment "0" when none is set, so it must stay active.
      if (experimentId === DEFAULT_EXPERIMENT_ID) throw invalidParameter('Cannot delete the default experiment (id 0).');
      // MLflow's SQL store only finds active experiments to delete (and deleted ones to restore).
      if (state.lifecycleStage === 'deleted') throw notFound(`No Experiment with id=${experimentId} exists`);
      return [{ type: T.experimentDeleted, aggregateId: experimentId, data: { experimentId, deletedTime: cmd.now, runIds: cmd.runIds } }];
    case 'restore':
      if (state.lifecycleStage !== 'deleted') throw notFound(`No Experiment with id=${experimentId} exists`);
      return [{ type: T.experimentRestored, aggregateId: experimentId, data: { experimentId, restoredTime: cmd.now, runIds: cmd.runIds } }];
    case 'setTag':
      validateExperimentTag(cmd.key, cmd.value);
      if (state.lifecycleStage !== 'active') {
        throw invalidParameter(`The experiment ${experimentId} must be in the 'active' state. Current state is ${state.lifecycleStage}.`);
      }
      return [{ type: T.experimentTagSet, aggregateId: experimentId, data: { experimentId, key: cmd.key, value: cmd.value } }];
    case 'deleteTag':
      if (state.lifecycleStage !== 'active') {
        throw invalidParameter(`The experiment ${experimentId} must be in the 'active' state. Current state is ${state.lifecycleStage}.`);
      }
      if (!state.tagKeys.has(cmd.key)) throw notFound(`No tag with name: ${cmd.key} in experiment with id ${experimentId}`);
      return [{ type: T.experimentTagDeleted, aggregateId: experimentId, data: { experimentId, key: cmd.key } }];
    case 'purge': {
      if (experimentId === DEFAULT_EXPERIMENT_ID) return [];
      const verdict = experimentGcVerdict({ lifecycleStage: state.lifecycleStage, deletedTime: cmd.deletedTime }, cmd.remainingRuns, cmd.cutoff);
      if (verdict.kind !== 'purge' || cmd.deletedTime === null) return [];
      return [{ type: T.experimentPurged, aggregateId: experimentId, data: { experimentId, deletedTime: cmd.deletedTime } }];
    }
    default:
      return assertNever(cmd, 'command');
  }
}
