import { environmentDriftJson, REGISTRY_EVENT_TYPES as E, type ModelStage, type RegistryEvent } from '@cairn/contracts';
import { evolve, initialRegisteredModelState, type RegisteredModelState } from './registered-model';

/** One line of a model's history: what changed, from what, to what. */
export interface Change {
  /** The model version concerned, if any. */
  version: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** Before/after of one event, for people reading the history (the event itself is the record). */
export function changeOf(event: RegistryEvent): Change {
  switch (event.type) {
    case E.registeredModelCreated:
      return { version: null, before: null, after: { name: event.data.name, description: event.data.description, tags: event.data.tags } };
    case E.registeredModelRenamed:
      return { version: null, before: { name: event.data.name }, after: { name: event.data.newName } };
    case E.registeredModelUpdated:
      return { version: null, before: { description: event.data.previousDescription }, after: { description: event.data.description } };
    case E.registeredModelDeleted:
      return { version: null, before: { name: event.data.name, versions: event.data.versions, aliases: event.data.aliases }, after: null };
    case E.registeredModelTagSet:
      return { version: null, before: { key: event.data.key, value: event.data.previousValue }, after: { key: event.data.key, value: event.data.value } };
    case E.registeredModelTagDeleted:
      return { version: null, before: { key: event.data.key, value: event.data.previousValue }, after: null };
    case E.modelVersionCreated:
      return {
        version: event.data.version,
        before: null,
        after: { stage: 'None', source: event.data.source, run_id: event.data.runId, model_id: event.data.loggedModelId, tags: event.data.tags },
      };
    case E.modelVersionUpdated:
      return { version: event.data.version, before: { description: event.data.previousDescription }, after: { description: event.data.description } };
    case E.modelVersionDeleted:
      return { version: event.data.version, before: { stage: event.data.stage, aliases: event.data.aliasesRemoved }, after: null };
    case E.modelVersionStageTransitioned:
      return {
        version: event.data.version,
        before: { stage: event.data.fromStage, archived: event.data.archived.map((a) => ({ version: a.version, stage: a.fromStage })) },
        after: {
          stage: event.data.toStage,
          archived: event.data.archived.map((a) => ({ version: a.version, stage: 'Archived' })),
          ...(event.data.environmentDrift ? { environment_drift: environmentDriftJson(event.data.environmentDrift) } : {}),
        },
      };
    case E.modelVersionTagSet:
      return {
        version: event.data.version,
        before: { key: event.data.key, value: event.data.previousValue },
        after: { key: event.data.key, value: event.data.value },
      };
    case E.modelVersionTagDeleted:
      return { version: event.data.version, before: { key: event.data.key, value: event.data.previousValue }, after: null };
    case E.aliasSet:
      return {
        version: event.data.version,
        before: { alias: event.data.alias, version: event.data.previousVersion },
        after: { alias: event.data.alias, version: event.data.version },
      };
    case E.aliasDeleted:
      return { version: event.data.version, before: { alias: event.data.alias, version: event.data.version }, after: null };
    case E.promotionDecided: {
      const d = event.data;
      return {
        version: d.challengerVersion,
        before: { champion_version: d.championVersion, champion_value: d.championValue },
        after: { promoted: d.promoted, challenger_value: d.challengerValue, target: d.target, reason: d.reason },
      };
    }
  }
}

export interface Snapshot {
  exists: boolean;
  name: string;
  aliases: Array<{ alias: string; version: string }>;
  versions: Array<{ version: string; stage: ModelStage }>;
}

/**
 * The model as it stood at `asOf` (epoch ms): replay of the events that had happened by then.
 * `occurredAt` is each event's commit-side time, so "as of" means "as readers saw it then".
 */
export function snapshotAt(events: ReadonlyArray<{ event: RegistryEvent; occurredAt: number }>, asOf: number): Snapshot {
  let state: RegisteredModelState = initialRegisteredModelState();
  for (const { event, occurredAt } of events) {
    if (occurredAt > asOf) break;
    state = evolve(state, event);
  }
  return {
    exists: state.status === 'active',
    name: state.name,
    aliases: Object.entries(state.aliases)
      .map(([alias, version]) => ({ alias, version }))
      .sort((a, b) => a.alias.localeCompare(b.alias)),
    versions: Object.values(state.versions)
      .map((v) => ({ version: v.version, stage: v.stage }))
      .sort((a, b) => Number(a.version) - Number(b.version)),
  };
}
