import { z } from 'zod';

/**
 * Events of the artifacts context. Artifact events use the artifact's owner (a run id, a logged
 * model id, or `<first>/<second>` path segments for anything else) as aggregate id, so per-run order
 * holds on the bus; policy and quota events use `experiment:<id>`.
 */
export const ARTIFACTS_EVENT_TYPES = {
  artifactStored: 'artifacts.artifact.stored.v1',
  artifactDeleted: 'artifacts.artifact.deleted.v1',
  retentionPolicySet: 'artifacts.retention_policy.set.v1',
  retentionPolicyDeleted: 'artifacts.retention_policy.deleted.v1',
  quotaSet: 'artifacts.quota.set.v1',
  runCollected: 'artifacts.run.collected.v1',
  runCollectionDeferred: 'artifacts.run.collection_deferred.v1',
} as const;

export type ArtifactsEventType = (typeof ARTIFACTS_EVENT_TYPES)[keyof typeof ARTIFACTS_EVENT_TYPES];

export const artifactOwnerKindSchema = z.enum(['run', 'logged_model', 'other']);
export type ArtifactOwnerKind = z.infer<typeof artifactOwnerKindSchema>;

const owner = {
  ownerKind: artifactOwnerKindSchema,
  ownerId: z.string(),
  /** null when the path does not start with an experiment id. */
  experimentId: z.string().nullable(),
};

export const artifactsEventSchemas = {
  /** `path` is the full checked path under the artifact root; `relativePath` is below the owner's `artifacts/`. */
  [ARTIFACTS_EVENT_TYPES.artifactStored]: z.object({
    ...owner,
    path: z.string(),
    relativePath: z.string(),
    size: z.number().int().nonnegative(),
    /** Lowercase hex sha256 of the content. */
    digest: z.string().regex(/^[0-9a-f]{64}$/),
    /** True when identical content was already stored: no new bytes were kept. */
    deduplicated: z.boolean(),
    /** The digest this upload replaced at the same path, if any. */
    replacedDigest: z.string().nullable(),
    /**
     * The blob this upload wrote (server-made, see ArtifactCommands): where the content lives when it
     * was new. Absent from events stored before it was recorded; a log holding those cannot rebuild
     * the content index.
     */
    storageKey: z.string().optional(),
  }),
  [ARTIFACTS_EVENT_TYPES.artifactDeleted]: z.object({
    ...owner,
    path: z.string(),
    relativePath: z.string(),
    size: z.number().int().nonnegative(),
    digest: z.string(),
    reason: z.enum(['request', 'retention', 'collection']),
    /** For retention: the policy that decided it. */
    policyId: z.string().nullable(),
  }),
  [ARTIFACTS_EVENT_TYPES.retentionPolicySet]: z.object({
    policyId: z.string(),
    experimentId: z.string(),
    prefix: z.string(),
    keepLast: z.number().int().nullable(),
    keepBest: z.number().int().nullable(),
    metricKey: z.string().nullable(),
    metricGoal: z.enum(['max', 'min']).nullable(),
  }),
  [ARTIFACTS_EVENT_TYPES.retentionPolicyDeleted]: z.object({ policyId: z.string(), experimentId: z.string() }),
  /** `maxBytes` null removes the quota. */
  [ARTIFACTS_EVENT_TYPES.quotaSet]: z.object({ experimentId: z.string(), maxBytes: z.number().int().positive().nullable() }),
  [ARTIFACTS_EVENT_TYPES.runCollected]: z.object({ runId: z.string(), files: z.number().int(), bytes: z.number().int() }),
  /** A purged run still referenced by model versions: collected when the last reference goes. */
  [ARTIFACTS_EVENT_TYPES.runCollectionDeferred]: z.object({
    runId: z.string(),
    references: z.array(z.object({ modelId: z.string(), name: z.string(), version: z.string() })),
  }),
} as const;

type Schemas = typeof artifactsEventSchemas;

export type ArtifactsEvent = {
  [T in keyof Schemas]: { type: T; aggregateId: string; data: z.infer<Schemas[T]> };
}[keyof Schemas];

export type ArtifactsEventData<T extends ArtifactsEventType> = z.infer<Schemas[T]>;

/** Parses the data of an artifacts event from the store or the bus; throws on an unknown type or a bad shape. */
export function parseArtifactsEvent(type: string, aggregateId: string, data: unknown): ArtifactsEvent {
  const schema = (artifactsEventSchemas as Record<string, z.ZodType>)[type];
  if (!schema) throw new Error(`unknown artifacts event type ${type}`);
  return { type, aggregateId, data: schema.parse(data) } as ArtifactsEvent;
}
