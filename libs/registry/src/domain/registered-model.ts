import { CairnError, invalidParameter, notFound, REGISTRY_EVENT_TYPES as E, type ModelStage, type RegistryEvent } from '@cairn/contracts';
import { environmentDriftOf, type RecordedEnvironments } from './environment-drift';

/**
 * One registered model and its versions, stages and aliases: the aggregate whose invariants the
 * registry guards (version numbers 1, 2, 3… never reused, one stage per version, an alias points at
 * one live version). `decide(command, state) → events`, `evolve(state, event) → state`.
 */
export interface ModelVersionState {
  version: string;
  stage: ModelStage;
  source: string;
  runId: string | null;
  loggedModelId: string | null;
  description: string | null;
  tags: Record<string, string>;
}

export interface RegisteredModelState {
  status: 'absent' | 'active' | 'deleted';
  modelId: string;
  name: string;
  description: string | null;
  /** Highest version number ever created: deleted versions keep their number. */
  lastVersion: number;
  /** Live versions by number. */
  versions: Record<string, ModelVersionState>;
  /** alias → version */
  aliases: Record<string, string>;
  tags: Record<string, string>;
}

export const initialRegisteredModelState = (): RegisteredModelState => ({
  status: 'absent',
  modelId: '',
  name: '',
  description: null,
  lastVersion: 0,
  versions: {},
  aliases: {},
  tags: {},
});

export type RegistryCommand =
  | { type: 'createRegisteredModel'; modelId: string; name: string; description: string | null; tags: Array<{ key: string; value: string }> }
  | { type: 'renameRegisteredModel'; newName: string }
  | { type: 'updateRegisteredModel'; description: string | null }
  | { type: 'deleteRegisteredModel' }
  | { type: 'setRegisteredModelTag'; key: string; value: string }
  | { type: 'deleteRegisteredModelTag'; key: string }
  | {
      type: 'createModelVersion';
      source: string;
      runId: string | null;
      runLink: string | null;
      loggedModelId: string | null;
      description: string | null;
      userId: string | null;
      tags: Array<{ key: string; value: string }>;
    }
  | { type: 'updateModelVersion'; version: string; description: string | null }
  | { type: 'deleteModelVersion'; version: string }
  | {
      type: 'transitionStage';
      version: string;
      stage: ModelStage;
      archiveExistingVersions: boolean;
      /** The environments the drift check compares (environment-drift.ts); absent: no check. */
      environments?: RecordedEnvironments;
    }
  | { type: 'setModelVersionTag'; version: string; key: string; value: string }
  | { type: 'deleteModelVersionTag'; version: string; key: string }
  | { type: 'setAlias'; alias: string; version: string }
  | { type: 'deleteAlias'; alias: string }
  | {
      type: 'promote';
      challenger: string;
      metric: string;
      direction: 'higher_is_better' | 'lower_is_better';
      minDelta: number;
      target: { stage: ModelStage } | { alias: string };
      archiveExisting: boolean;
      /** Final value of `metric` in each live version's run (null: no run, or no such metric yet). */
      metricByVersion: Record<string, number | null>;
      /** As for transitionStage: a promotion to Production is checked for drift too. */
      environments?: RecordedEnvironments;
    };

/** Commands carry the request's time so that decide stays pure. */
export type TimedCommand = RegistryCommand & { now: number };

export const modelNotFound = (name: string) => notFound(`Registered Model with name=${name} not found`);
export const versionNotFound = (name: string, version: string) => notFound(`Model Version (name=${name}, version=${version}) not found`);

const ACTIVE_STAGES: readonly ModelStage[] = ['Staging', 'Production'];

function requireModel(state: RegisteredModelState, name: string): void {
  if (state.status !== 'active') throw modelNotFound(name);
}

function requireVersion(state: RegisteredModelState, version: string): ModelVersionState {
  const found = state.versions[version];
  if (!found) throw versionNotFound(state.name, version);
  return found;
}

export function decide(command: TimedCommand, state: RegisteredModelState): RegistryEvent[] {
  const base = { modelId: state.modelId, name: state.name, timestamp: command.now };
  const aggregateId = state.modelId;
  switch (command.type) {
    case 'createRegisteredModel': {
      if (state.status === 'active') throw new CairnError('RESOURCE_ALREADY_EXISTS', `Registered Model (name=${command.name}) already exists.`);
      return [
        {
          type: E.registeredModelCreated,
          aggregateId: command.modelId,
          data: { modelId: command.modelId, name: command.name, timestamp: command.now, description: command.description, tags: command.tags },
        },
      ];
    }
    case 'renameRegisteredModel':
      requireModel(state, state.name);
      if (command.newName === state.name) return [];
      return [{ type: E.registeredModelRenamed, aggregateId, data: { ...base, newName: command.newName } }];
    case 'updateRegisteredModel':
      requireModel(state, state.name);
      return [{ type: E.registeredModelUpdated, aggregateId, data: { ...base, description: command.description, previousDescription: state.description } }];
    case 'deleteRegisteredModel':
      requireModel(state, state.name);
      return [
        {
          type: E.registeredModelDeleted,
          aggregateId,
          data: {
            ...base,
            versions: Object.values(state.versions).map((v) => ({ version: v.version, stage: v.stage, runId: v.runId })),
            aliases: Object.entries(state.aliases).map(([alias, version]) => ({ alias, version })),
          },
        },
      ];
    case 'setRegisteredModelTag':
      requireModel(state, state.name);
      return [
        {
          type: E.registeredModelTagSet,
          aggregateId,
          data: { ...base, key: command.key, value: command.value, previousValue: state.tags[command.key] ?? null },
        },
      ];
    case 'deleteRegisteredModelTag': {
      requireModel(state, state.name);
      const previous = state.tags[command.key];
      // MLflow deletes a missing tag silently.
      if (previous === undefined) return [];
      return [{ type: E.registeredModelTagDeleted, aggregateId, data: { ...base, key: command.key, previousValue: previous } }];
    }
    case 'createModelVersion': {
      requireModel(state, state.name);
      return [
        {
          type: E.modelVersionCreated,
          aggregateId,
          data: {
            ...base,
            version: String(state.lastVersion + 1),
            source: command.source,
            runId: command.runId,
            runLink: command.runLink,
            loggedModelId: command.loggedModelId,
            description: command.description,
            userId: command.userId,
            tags: command.tags,
          },
        },
      ];
    }
    case 'updateModelVersion': {
      requireModel(state, state.name);
      const v = requireVersion(state, command.version);
      return [
        {
          type: E.modelVersionUpdated,
          aggregateId,
          data: { ...base, version: v.version, description: command.description, previousDescription: v.description },
        },
      ];
    }
    case 'deleteModelVersion': {
      requireModel(state, state.name);
      const v = requireVersion(state, command.version);
      const aliasesRemoved = Object.entries(state.aliases)
        .filter(([, version]) => version === v.version)
        .map(([alias]) => alias);
      return [
        {
          type: E.modelVersionDeleted,
          aggregateId,
          data: { ...base, version: v.version, stage: v.stage, runId: v.runId, loggedModelId: v.loggedModelId, aliasesRemoved },
        },
      ];
    }
    case 'transitionStage': {
      requireModel(state, state.name);
      const v = requireVersion(state, command.version);
      if (command.archiveExistingVersions && !ACTIVE_STAGES.includes(command.stage)) {
        // MLflow raises this without a code (a 500 that the client retries); a 400 is what it means.
        throw invalidParameter(
          `Model version transition cannot archive existing model versions because '${command.stage}' is not an Active stage. Valid stages are ${ACTIVE_STAGES.join(', ')}`,
        );
      }
      const archived = command.archiveExistingVersions
        ? Object.values(state.versions)
            .filter((other) => other.version !== v.version && other.stage === command.stage)
            .sort((a, b) => Number(a.version) - Number(b.version))
            .map((other) => ({ version: other.version, fromStage: other.stage }))
        : [];
      const environmentDrift = environmentDriftOf(state, v.version, command.stage, command.environments);
      return [
        {
          type: E.modelVersionStageTransitioned,
          aggregateId,
          data: {
            ...base,
            version: v.version,
            fromStage: v.stage,
            toStage: command.stage,
            archiveExistingVersions: command.archiveExistingVersions,
            archived,
            ...(environmentDrift ? { environmentDrift } : {}),
          },
        },
      ];
    }
    case 'setModelVersionTag': {
      requireModel(state, state.name);
      const v = requireVersion(state, command.version);
      return [
        {
          type: E.modelVersionTagSet,
          aggregateId,
          data: { ...base, version: v.version, key: command.key, value: command.value, previousValue: v.tags[command.key] ?? null },
        },
      ];
    }
    case 'deleteModelVersionTag': {
      requireModel(state, state.name);
      const v = requireVersion(state, command.version);
      const previous = v.tags[command.key];
      if (previous === undefined) return [];
      return [{ type: E.modelVersionTagDeleted, aggregateId, data: { ...base, version: v.version, key: command.key, previousValue: previous } }];
    }
    case 'setAlias': {
      requireModel(state, state.name);
      const v = requireVersion(state, command.version);
      const previous = state.aliases[command.alias] ?? null;
      if (previous === v.version) return [];
      return [{ type: E.aliasSet, aggregateId, data: { ...base, alias: command.alias, version: v.version, previousVersion: previous } }];
    }
    case 'deleteAlias': {
      requireModel(state, state.name);
      const version = state.aliases[command.alias];
      if (version === undefined) return [];
      return [{ type: E.aliasDeleted, aggregateId, data: { ...base, alias: command.alias, version } }];
    }
    case 'promote':
      return decidePromotion(command, state);
  }
}

/**
 * Champion/challenger: the champion is the version holding the target alias, or the highest
 * version in the target stage. The challenger is promoted only if its run's metric beats the
 * champion's by at least `minDelta` in the given direction; either way the decision is recorded
 * with its inputs, and the promotion (if any) is part of the same append.
 */
function decidePromotion(command: Extract<TimedCommand, { type: 'promote' }>, state: RegisteredModelState): RegistryEvent[] {
  requireModel(state, state.name);
  const challenger = requireVersion(state, command.challenger);
  if ('stage' in command.target && command.archiveExisting && !ACTIVE_STAGES.includes(command.target.stage)) {
    throw invalidParameter(`Promotion can only archive existing versions for Staging or Production, not '${command.target.stage}'.`);
  }
  const champion =
    'alias' in command.target
      ? (state.aliases[command.target.alias] ?? null)
      : (Object.values(state.versions)
          .filter((v) => v.stage === (command.target as { stage: ModelStage }).stage)
          .map((v) => Number(v.version))
          .sort((a, b) => b - a)
          .map(String)[0] ?? null);
  const challengerValue = command.metricByVersion[challenger.version] ?? null;
  const championValue = champion === null ? null : (command.metricByVersion[champion] ?? null);
  let promoted = false;
  let reason: string;
  if (champion === challenger.version) reason = `version ${champion} already holds the target`;
  else if (challengerValue === null) reason = `the challenger's run has no value for metric '${command.metric}'`;
  else if (champion === null) {
    promoted = true;
    reason = 'no champion holds the target';
  } else if (championValue === null) reason = `the champion's run (version ${champion}) has no value for metric '${command.metric}'`;
  else {
    const delta = command.direction === 'higher_is_better' ? challengerValue - championValue : championValue - challengerValue;
    promoted = delta > 0 && delta >= command.minDelta;
    reason = `improvement ${delta} ${promoted ? '>=' : '<'} minimum ${command.minDelta}${delta <= 0 ? ' (no improvement)' : ''}`;
  }
  const base = { modelId: state.modelId, name: state.name, timestamp: command.now };
  const decision: RegistryEvent = {
    type: E.promotionDecided,
    aggregateId: state.modelId,
    data: {
      ...base,
      challengerVersion: challenger.version,
      championVersion: champion,
      metric: command.metric,
      direction: command.direction,
      minDelta: command.minDelta,
      challengerValue,
      championValue,
      target: command.target,
      archiveExisting: command.archiveExisting,
      promoted,
      reason,
    },
  };
  if (!promoted) return [decision];
  const { challenger: _c, metric: _m, direction: _d, minDelta: _x, metricByVersion: _v, target, archiveExisting, ...rest } = command;
  const follow =
    'alias' in target
      ? decide({ ...rest, type: 'setAlias', alias: target.alias, version: challenger.version }, state)
      : decide({ ...rest, type: 'transitionStage', version: challenger.version, stage: target.stage, archiveExistingVersions: archiveExisting }, state);
  return [decision, ...follow];
}

const withVersion = (state: RegisteredModelState, version: string, change: (v: ModelVersionState) => ModelVersionState): RegisteredModelState => {
  const current = state.versions[version];
  return current ? { ...state, versions: { ...state.versions, [version]: change(current) } } : state;
};

export function evolve(state: RegisteredModelState, event: RegistryEvent): RegisteredModelState {
  switch (event.type) {
    case E.registeredModelCreated: {
      const d = event.data;
      return {
        ...initialRegisteredModelState(),
        status: 'active',
        modelId: d.modelId,
        name: d.name,
        description: d.description,
        tags: Object.fromEntries(d.tags.map((t) => [t.key, t.value])),
      };
    }
    case E.registeredModelRenamed:
      return { ...state, name: event.data.newName };
    case E.registeredModelUpdated:
      return { ...state, description: event.data.description };
    case E.registeredModelDeleted:
      return { ...state, status: 'deleted', versions: {}, aliases: {}, tags: {} };
    case E.registeredModelTagSet:
      return { ...state, tags: { ...state.tags, [event.data.key]: event.data.value } };
    case E.registeredModelTagDeleted: {
      const { [event.data.key]: _gone, ...tags } = state.tags;
      return { ...state, tags };
    }
    case E.modelVersionCreated: {
      const d = event.data;
      const created: ModelVersionState = {
        version: d.version,
        stage: 'None',
        source: d.source,
        runId: d.runId,
        loggedModelId: d.loggedModelId,
        description: d.description,
        tags: Object.fromEntries(d.tags.map((t) => [t.key, t.value])),
      };
      return { ...state, lastVersion: Math.max(state.lastVersion, Number(d.version)), versions: { ...state.versions, [d.version]: created } };
    }
    case E.modelVersionUpdated:
      return withVersion(state, event.data.version, (v) => ({ ...v, description: event.data.description }));
    case E.modelVersionDeleted: {
      const { [event.data.version]: _gone, ...versions } = state.versions;
      const aliases = Object.fromEntries(Object.entries(state.aliases).filter(([, version]) => version !== event.data.version));
      return { ...state, versions, aliases };
    }
    case E.modelVersionStageTransitioned: {
      let next = withVersion(state, event.data.version, (v) => ({ ...v, stage: event.data.toStage }));
      for (const archived of event.data.archived) next = withVersion(next, archived.version, (v) => ({ ...v, stage: 'Archived' }));
      return next;
    }
    case E.modelVersionTagSet:
      return withVersion(state, event.data.version, (v) => ({ ...v, tags: { ...v.tags, [event.data.key]: event.data.value } }));
    case E.modelVersionTagDeleted:
      return withVersion(state, event.data.version, (v) => {
        const { [event.data.key]: _gone, ...tags } = v.tags;
        return { ...v, tags };
      });
    case E.aliasSet:
      return { ...state, aliases: { ...state.aliases, [event.data.alias]: event.data.version } };
    case E.aliasDeleted: {
      const { [event.data.alias]: _gone, ...aliases } = state.aliases;
      return { ...state, aliases };
    }
    case E.promotionDecided:
      return state;
  }
}

export const registeredModelDecider = { initialState: initialRegisteredModelState, evolve, decide };
