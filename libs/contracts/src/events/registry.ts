import { z } from 'zod';

/**
 * Events of the registry context. The aggregate is one registered model, identified by a stable
 * `modelId` (a uuid, unchanged by renames); every event also carries the model's `name` at the time,
 * so webhook consumers and history readers never need a lookup. Times are epoch milliseconds, as
 * on MLflow's wire. Each event says what changed with enough before/after to be read alone.
 */
export const REGISTRY_EVENT_TYPES = {
  registeredModelCreated: 'registry.registered_model.created.v1',
  registeredModelRenamed: 'registry.registered_model.renamed.v1',
  registeredModelUpdated: 'registry.registered_model.updated.v1',
  registeredModelDeleted: 'registry.registered_model.deleted.v1',
  registeredModelTagSet: 'registry.registered_model.tag_set.v1',
  registeredModelTagDeleted: 'registry.registered_model.tag_deleted.v1',
  modelVersionCreated: 'registry.model_version.created.v1',
  modelVersionUpdated: 'registry.model_version.updated.v1',
  modelVersionDeleted: 'registry.model_version.deleted.v1',
  modelVersionStageTransitioned: 'registry.model_version.stage_transitioned.v1',
  modelVersionTagSet: 'registry.model_version.tag_set.v1',
  modelVersionTagDeleted: 'registry.model_version.tag_deleted.v1',
  aliasSet: 'registry.alias.set.v1',
  aliasDeleted: 'registry.alias.deleted.v1',
  promotionDecided: 'registry.promotion.decided.v1',
} as const;

export type RegistryEventType = (typeof REGISTRY_EVENT_TYPES)[keyof typeof REGISTRY_EVENT_TYPES];

export const MODEL_STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export const modelStageSchema = z.enum(MODEL_STAGES);
export type ModelStage = z.infer<typeof modelStageSchema>;

const keyValue = z.object({ key: z.string(), value: z.string() });
const model = { modelId: z.string(), name: z.string(), timestamp: z.number().int() };
const version = { ...model, version: z.string() };

export const registryEventSchemas = {
  [REGISTRY_EVENT_TYPES.registeredModelCreated]: z.object({ ...model, description: z.string().nullable(), tags: z.array(keyValue) }),
  [REGISTRY_EVENT_TYPES.registeredModelRenamed]: z.object({ ...model, newName: z.string() }),
  [REGISTRY_EVENT_TYPES.registeredModelUpdated]: z.object({ ...model, description: z.string().nullable(), previousDescription: z.string().nullable() }),
  /** Hard delete, as MLflow's SQL store: what went with it is listed so consumers need no lookup. */
  [REGISTRY_EVENT_TYPES.registeredModelDeleted]: z.object({
    ...model,
    versions: z.array(z.object({ version: z.string(), stage: modelStageSchema, runId: z.string().nullable() })),
    aliases: z.array(z.object({ alias: z.string(), version: z.string() })),
  }),
  [REGISTRY_EVENT_TYPES.registeredModelTagSet]: z.object({ ...model, key: z.string(), value: z.string(), previousValue: z.string().nullable() }),
  [REGISTRY_EVENT_TYPES.registeredModelTagDeleted]: z.object({ ...model, key: z.string(), previousValue: z.string() }),
  /**
   * `runId` / `loggedModelId` are the references the registry publishes: tracking may refuse to purge
   * a run (or logged model) that a live version points at.
   */
  [REGISTRY_EVENT_TYPES.modelVersionCreated]: z.object({
    ...version,
    source: z.string(),
    runId: z.string().nullable(),
    runLink: z.string().nullable(),
    loggedModelId: z.string().nullable(),
    description: z.string().nullable(),
    userId: z.string().nullable(),
    tags: z.array(keyValue),
  }),
  [REGISTRY_EVENT_TYPES.modelVersionUpdated]: z.object({ ...version, description: z.string().nullable(), previousDescription: z.string().nullable() }),
  [REGISTRY_EVENT_TYPES.modelVersionDeleted]: z.object({
    ...version,
    stage: modelStageSchema,
    runId: z.string().nullable(),
    loggedModelId: z.string().nullable(),
    /** Aliases that pointed at the version and are gone with it. */
    aliasesRemoved: z.array(z.string()),
  }),
  [REGISTRY_EVENT_TYPES.modelVersionStageTransitioned]: z.object({
    ...version,
    fromStage: modelStageSchema,
    toStage: modelStageSchema,
    archiveExistingVersions: z.boolean(),
    /** Other versions moved to Archived by `archive_existing_versions`, with the stage they left. */
    archived: z.array(z.object({ version: z.string(), fromStage: modelStageSchema })),
    /**
     * The warning of ADR 0014, absent when there is nothing to warn about: the version entering
     * Production was trained with other versions of packages the model watches than the current
     * Production version was (`from`: Production's, `to`: this version's; null: not installed).
     * The transition happened all the same.
     */
    environmentDrift: z
      .object({
        productionVersion: z.string(),
        packages: z.array(z.object({ name: z.string(), from: z.string().nullable(), to: z.string().nullable() })),
      })
      .optional(),
  }),
  [REGISTRY_EVENT_TYPES.modelVersionTagSet]: z.object({ ...version, key: z.string(), value: z.string(), previousValue: z.string().nullable() }),
  [REGISTRY_EVENT_TYPES.modelVersionTagDeleted]: z.object({ ...version, key: z.string(), previousValue: z.string() }),
  /** Created (`previousVersion` null) or moved; setting an alias to the version it holds emits nothing. */
  [REGISTRY_EVENT_TYPES.aliasSet]: z.object({ ...model, alias: z.string(), version: z.string(), previousVersion: z.string().nullable() }),
  [REGISTRY_EVENT_TYPES.aliasDeleted]: z.object({ ...model, alias: z.string(), version: z.string() }),
  /** A champion/challenger comparison with its inputs and outcome, whether or not it promoted. */
  [REGISTRY_EVENT_TYPES.promotionDecided]: z.object({
    ...model,
    challengerVersion: z.string(),
    championVersion: z.string().nullable(),
    metric: z.string(),
    direction: z.enum(['higher_is_better', 'lower_is_better']),
    minDelta: z.number(),
    challengerValue: z.number().nullable(),
    championValue: z.number().nullable(),
    target: z.union([z.object({ stage: modelStageSchema }), z.object({ alias: z.string() })]),
    archiveExisting: z.boolean(),
    promoted: z.boolean(),
    reason: z.string(),
  }),
} as const;

type Schemas = typeof registryEventSchemas;

/** A registry event as a decider emits it: type + aggregate id + typed data. */
export type RegistryEvent = {
  [T in keyof Schemas]: { type: T; aggregateId: string; data: z.infer<Schemas[T]> };
}[keyof Schemas];

export type RegistryEventData<T extends RegistryEventType> = z.infer<Schemas[T]>;

/** A transition's warning that watched packages differ from Production's (ADR 0014). */
export type EnvironmentDrift = NonNullable<RegistryEventData<typeof REGISTRY_EVENT_TYPES.modelVersionStageTransitioned>['environmentDrift']>;

/** A transition's environment drift as history entries and webhook payloads show it (snake_case, as MLflow's wire). */
export const environmentDriftJson = (drift: EnvironmentDrift) => ({ production_version: drift.productionVersion, packages: drift.packages });

/** Parses the data of a registry event from the store or the bus; throws on an unknown type or a bad shape. */
export function parseRegistryEvent(type: string, aggregateId: string, data: unknown): RegistryEvent {
  const schema = (registryEventSchemas as Record<string, z.ZodType>)[type];
  if (!schema) throw new Error(`unknown registry event type ${type}`);
  return { type, aggregateId, data: schema.parse(data) } as RegistryEvent;
}
