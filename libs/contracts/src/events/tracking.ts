import { z } from 'zod';
import { isRunId } from '../wire/ids';

/**
 * Events of the tracking context. Each `data` schema is parsed by every consumer; event types are
 * explicit versioned strings. Metric values travel as protobuf-JSON doubles: a number, or one of
 * the strings "NaN", "Infinity", "-Infinity" (jsonb cannot hold NaN).
 */
export const TRACKING_EVENT_TYPES = {
  experimentCreated: 'tracking.experiment.created.v1',
  experimentRenamed: 'tracking.experiment.renamed.v1',
  experimentDeleted: 'tracking.experiment.deleted.v1',
  experimentRestored: 'tracking.experiment.restored.v1',
  experimentTagSet: 'tracking.experiment.tag_set.v1',
  experimentTagDeleted: 'tracking.experiment.tag_deleted.v1',
  experimentPurged: 'tracking.experiment.purged.v1',
  runCreated: 'tracking.run.created.v1',
  runUpdated: 'tracking.run.updated.v1',
  runDeleted: 'tracking.run.deleted.v1',
  runRestored: 'tracking.run.restored.v1',
  runPurged: 'tracking.run.purged.v1',
  metricsLogged: 'tracking.metrics.logged.v1',
  paramsLogged: 'tracking.params.logged.v1',
  tagsSet: 'tracking.tags.set.v1',
  tagDeleted: 'tracking.tag.deleted.v1',
  inputsLogged: 'tracking.run.inputs_logged.v1',
  outputsLogged: 'tracking.run.outputs_logged.v1',
  modelLogged: 'tracking.run.model_logged.v1',
  loggedModelCreated: 'tracking.logged_model.created.v1',
  loggedModelFinalized: 'tracking.logged_model.finalized.v1',
  loggedModelDeleted: 'tracking.logged_model.deleted.v1',
  loggedModelTagsSet: 'tracking.logged_model.tags_set.v1',
  loggedModelTagDeleted: 'tracking.logged_model.tag_deleted.v1',
  loggedModelParamsLogged: 'tracking.logged_model.params_logged.v1',
  traceLogged: 'tracking.trace.logged.v1',
  traceTagSet: 'tracking.trace.tag_set.v1',
  traceTagDeleted: 'tracking.trace.tag_deleted.v1',
  traceDeleted: 'tracking.trace.deleted.v1',
  traceAssessmentSet: 'tracking.trace.assessment_set.v1',
  traceAssessmentDeleted: 'tracking.trace.assessment_deleted.v1',
} as const;

export type TrackingEventType = (typeof TRACKING_EVENT_TYPES)[keyof typeof TRACKING_EVENT_TYPES];

export const wireDoubleSchema = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);
export type WireDouble = z.infer<typeof wireDoubleSchema>;

const keyValue = z.object({ key: z.string(), value: z.string() });
export type KeyValue = z.infer<typeof keyValue>;

/** MLflow 3's TraceInfoV3.State. */
export const traceStateSchema = z.enum(['STATE_UNSPECIFIED', 'OK', 'ERROR', 'IN_PROGRESS']);
export type TraceState = z.infer<typeof traceStateSchema>;

/**
 * A trace's assessment (feedback or expectation) as MLflow's `Assessment` protobuf JSON, which the
 * server stores and answers as given; the id, times and trace are the server's, kept beside it.
 */
export const traceAssessmentSchema = z.object({
  assessmentId: z.string(),
  name: z.string(),
  createTime: z.number().int(),
  lastUpdateTime: z.number().int(),
  body: z.record(z.string(), z.unknown()),
});
export type TraceAssessment = z.infer<typeof traceAssessmentSchema>;

export const runStatusSchema = z.enum(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);
export type RunStatus = z.infer<typeof runStatusSchema>;

export const loggedModelStatusSchema = z.enum(['LOGGED_MODEL_STATUS_UNSPECIFIED', 'LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED']);
export type LoggedModelStatus = z.infer<typeof loggedModelStatusSchema>;

export const metricPointSchema = z.object({
  key: z.string(),
  value: wireDoubleSchema,
  timestamp: z.number().int(),
  step: z.number().int(),
  modelId: z.string().optional(),
  datasetName: z.string().optional(),
  datasetDigest: z.string().optional(),
});
export type MetricPoint = z.infer<typeof metricPointSchema>;

export const datasetInputSchema = z.object({
  name: z.string(),
  digest: z.string(),
  sourceType: z.string(),
  source: z.string(),
  schema: z.string().optional(),
  profile: z.string().optional(),
  tags: z.array(keyValue),
});
export type DatasetInputData = z.infer<typeof datasetInputSchema>;

export const trackingEventSchemas = {
  [TRACKING_EVENT_TYPES.experimentCreated]: z.object({
    experimentId: z.string(),
    name: z.string(),
    artifactLocation: z.string(),
    creationTime: z.number().int(),
    tags: z.array(keyValue),
  }),
  [TRACKING_EVENT_TYPES.experimentRenamed]: z.object({ experimentId: z.string(), name: z.string(), updatedTime: z.number().int() }),
  /** Deleting an experiment soft-deletes its runs too (as MLflow's SQL store does); `runIds` names them. */
  [TRACKING_EVENT_TYPES.experimentDeleted]: z.object({ experimentId: z.string(), deletedTime: z.number().int(), runIds: z.array(z.string()) }),
  [TRACKING_EVENT_TYPES.experimentRestored]: z.object({ experimentId: z.string(), restoredTime: z.number().int(), runIds: z.array(z.string()) }),
  [TRACKING_EVENT_TYPES.experimentTagSet]: z.object({ experimentId: z.string(), key: z.string(), value: z.string() }),
  [TRACKING_EVENT_TYPES.experimentTagDeleted]: z.object({ experimentId: z.string(), key: z.string() }),
  /** Garbage collection removed the deleted experiment for good (after all of its runs were purged). */
  [TRACKING_EVENT_TYPES.experimentPurged]: z.object({ experimentId: z.string(), deletedTime: z.number().int() }),
  [TRACKING_EVENT_TYPES.runCreated]: z.object({
    runId: z.string(),
    experimentId: z.string(),
    name: z.string(),
    userId: z.string(),
    status: runStatusSchema,
    startTime: z.number().int(),
    artifactUri: z.string(),
    tags: z.array(keyValue),
  }),
  [TRACKING_EVENT_TYPES.runUpdated]: z.object({
    runId: z.string(),
    status: runStatusSchema.optional(),
    endTime: z.number().int().optional(),
    name: z.string().optional(),
  }),
  [TRACKING_EVENT_TYPES.runDeleted]: z.object({ runId: z.string(), deletedTime: z.number().int() }),
  [TRACKING_EVENT_TYPES.runRestored]: z.object({ runId: z.string() }),
  /**
   * Garbage collection removed the deleted run for good, once its retention had passed and no model
   * version referenced it. The artifacts context collects the run's files on this event.
   */
  [TRACKING_EVENT_TYPES.runPurged]: z.object({
    runId: z.string().refine(isRunId, 'a run id: 32 hex digits'),
    experimentId: z.string(),
    deletedTime: z.number().int(),
  }),
  /** One event per request, carrying every point of it (up to 1000). */
  [TRACKING_EVENT_TYPES.metricsLogged]: z.object({ runId: z.string(), metrics: z.array(metricPointSchema) }),
  [TRACKING_EVENT_TYPES.paramsLogged]: z.object({ runId: z.string(), params: z.array(keyValue) }),
  /** Includes `mlflow.runName`; a run's name follows that tag. */
  [TRACKING_EVENT_TYPES.tagsSet]: z.object({ runId: z.string(), tags: z.array(keyValue) }),
  [TRACKING_EVENT_TYPES.tagDeleted]: z.object({ runId: z.string(), key: z.string() }),
  [TRACKING_EVENT_TYPES.inputsLogged]: z.object({
    runId: z.string(),
    experimentId: z.string(),
    datasets: z.array(datasetInputSchema),
    modelIds: z.array(z.string()),
  }),
  [TRACKING_EVENT_TYPES.outputsLogged]: z.object({ runId: z.string(), models: z.array(z.object({ modelId: z.string(), step: z.number().int() })) }),
  /** 2.x `runs/log-model`: the MLmodel dict, appended to the run tag `mlflow.log-model.history`. */
  [TRACKING_EVENT_TYPES.modelLogged]: z.object({ runId: z.string(), model: z.record(z.string(), z.unknown()) }),
  [TRACKING_EVENT_TYPES.loggedModelCreated]: z.object({
    modelId: z.string(),
    experimentId: z.string(),
    name: z.string(),
    artifactLocation: z.string(),
    creationTime: z.number().int(),
    status: loggedModelStatusSchema,
    modelType: z.string().optional(),
    sourceRunId: z.string().optional(),
    params: z.array(keyValue),
    tags: z.array(keyValue),
  }),
  [TRACKING_EVENT_TYPES.loggedModelFinalized]: z.object({ modelId: z.string(), status: loggedModelStatusSchema, updatedTime: z.number().int() }),
  [TRACKING_EVENT_TYPES.loggedModelDeleted]: z.object({ modelId: z.string(), deletedTime: z.number().int() }),
  [TRACKING_EVENT_TYPES.loggedModelTagsSet]: z.object({ modelId: z.string(), tags: z.array(keyValue), updatedTime: z.number().int() }),
  [TRACKING_EVENT_TYPES.loggedModelTagDeleted]: z.object({ modelId: z.string(), key: z.string(), updatedTime: z.number().int() }),
  [TRACKING_EVENT_TYPES.loggedModelParamsLogged]: z.object({ modelId: z.string(), params: z.array(keyValue), updatedTime: z.number().int() }),
  /**
   * StartTraceV3, which the client calls once the trace has ended, with its whole info. Logged again
   * for the same trace (a retried request), it merges: tags and metadata upserted, fields replaced.
   */
  [TRACKING_EVENT_TYPES.traceLogged]: z.object({
    traceId: z.string(),
    experimentId: z.string(),
    requestTime: z.number().int(),
    executionDuration: z.number().int().optional(),
    state: traceStateSchema,
    requestPreview: z.string().optional(),
    responsePreview: z.string().optional(),
    clientRequestId: z.string().optional(),
    metadata: z.array(keyValue),
    tags: z.array(keyValue),
    assessments: z.array(traceAssessmentSchema),
  }),
  [TRACKING_EVENT_TYPES.traceTagSet]: z.object({ traceId: z.string(), key: z.string(), value: z.string() }),
  [TRACKING_EVENT_TYPES.traceTagDeleted]: z.object({ traceId: z.string(), key: z.string() }),
  [TRACKING_EVENT_TYPES.traceDeleted]: z.object({ traceId: z.string() }),
  /** An assessment created or replaced whole (an update carries the merged assessment). */
  [TRACKING_EVENT_TYPES.traceAssessmentSet]: z.object({ traceId: z.string(), assessment: traceAssessmentSchema }),
  [TRACKING_EVENT_TYPES.traceAssessmentDeleted]: z.object({ traceId: z.string(), assessmentId: z.string() }),
} as const;

type Schemas = typeof trackingEventSchemas;

/** A tracking event as a decider emits it: type + aggregate id + typed data. */
export type TrackingEvent = {
  [T in keyof Schemas]: { type: T; aggregateId: string; data: z.infer<Schemas[T]> };
}[keyof Schemas];

export type TrackingEventData<T extends TrackingEventType> = z.infer<Schemas[T]>;

/** Parses the data of a tracking event from the bus; throws on an unknown type or a bad shape. */
export function parseTrackingEvent(type: string, aggregateId: string, data: unknown): TrackingEvent {
  const schema = (trackingEventSchemas as Record<string, z.ZodType>)[type];
  if (!schema) throw new Error(`unknown tracking event type ${type}`);
  return { type, aggregateId, data: schema.parse(data) } as TrackingEvent;
}
