import {
  assertNever,
  invalidParameter,
  notFound,
  TRACKING_EVENT_TYPES as T,
  type KeyValue,
  type TraceAssessment,
  type TraceState,
  type TrackingEvent,
} from '@cairn/contracts';
import { lastValuePerKey, type LifecycleStage } from './run';

/** The tag MLflow's server sets on every trace: where the client uploads its spans (`traces.json`). */
export const TRACE_ARTIFACT_LOCATION_TAG = 'mlflow.artifactLocation';
/** Where the spans are (MLflow: `TRACKING_STORE` when its database holds them); never set here. */
export const TRACE_SPANS_LOCATION_TAG = 'mlflow.trace.spansLocation';
/**
 * Tags only the server writes (MLflow's `_HANDLER_BLOCKED_TRACE_TAGS`): a caller moving a trace's
 * artifact location could point its spans at another experiment's files.
 */
const SERVER_TRACE_TAGS: ReadonlySet<string> = new Set([TRACE_ARTIFACT_LOCATION_TAG, TRACE_SPANS_LOCATION_TAG]);

/** MLflow's MAX_TRACE_TAG_KEY_LENGTH / MAX_TRACE_TAG_VAL_LENGTH: a longer key is refused, a longer value cut. */
export const TRACE_TAG_LIMITS = { key: 250, value: 8000 } as const;

/**
 * A trace's tags or metadata as logged: a key over the limit is refused, a value cut to it (MLflow's
 * columns are String(250) and String(8000); its validation cuts tag values the same way).
 */
export function traceEntries(map: Record<string, string>, field: string): KeyValue[] {
  return Object.entries(map).map(([key, value]) => {
    if (key.length > TRACE_TAG_LIMITS.key) throw invalidParameter(`'${field}' key exceeds the maximum length of ${TRACE_TAG_LIMITS.key} characters`);
    return { key, value: value.slice(0, TRACE_TAG_LIMITS.value) };
  });
}

/** The metadata linking a trace to the run it was logged in (`attribute.run_id` in searches). */
export const TRACE_SOURCE_RUN_METADATA = 'mlflow.sourceRun';

/**
 * A trace id becomes a path segment of its artifact location, so only ids that are one are taken:
 * MLflow's are `tr-` and 32 hex digits; OpenTelemetry bridges send other word-like ids.
 */
const TRACE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function checkTraceId(traceId: string): string {
  if (!TRACE_ID.test(traceId)) throw invalidParameter(`Invalid trace ID '${traceId.slice(0, 200)}'.`);
  return traceId;
}

/**
 * A trace's stream in tracking's event log: prefixed, because trace ids are the client's and could
 * otherwise equal an experiment's (a number) or a run's (32 hex digits) aggregate id.
 */
export const traceAggregateId = (traceId: string) => `trace:${traceId}`;

/** Whether `traceId` could name a stored trace; one that cannot (NUL, a slash, too long) is simply not found. */
export const isTraceId = (traceId: string): boolean => TRACE_ID.test(traceId);

/** An assessment id is the client's too (logged with its trace) and obeys the same word-like rule. */
export const isAssessmentId = (assessmentId: string): boolean => TRACE_ID.test(assessmentId);

export interface TraceAggregate {
  traceId: string;
  experimentId: string;
  tagKeys: ReadonlySet<string>;
  assessments: ReadonlyMap<string, TraceAssessment>;
}

export interface LoggedTraceInfo {
  traceId: string;
  requestTime: number;
  executionDuration?: number;
  state: TraceState;
  requestPreview?: string;
  responsePreview?: string;
  clientRequestId?: string;
  metadata: KeyValue[];
  tags: KeyValue[];
  assessments: TraceAssessment[];
}

/**
 * StartTraceV3 (sent when the trace has ended): the experiment must be active. The server, not the
 * client, says where the spans go, as MLflow's does: `<experiment artifact location>/traces/<id>/artifacts`.
 * A trace logged again (the client retries on timeouts) is merged, never refused.
 */
export function decideLogTrace(cmd: {
  info: LoggedTraceInfo;
  experiment: { experimentId: string; lifecycleStage: LifecycleStage; artifactLocation: string } | null;
  requestedExperimentId: string;
  existing: TraceAggregate | null;
}): TrackingEvent[] {
  if (!cmd.experiment) throw notFound(`No Experiment with id=${cmd.requestedExperimentId} exists`);
  if (cmd.experiment.lifecycleStage !== 'active') {
    throw invalidParameter(`The experiment ${cmd.experiment.experimentId} must be in the 'active' state. Current state is ${cmd.experiment.lifecycleStage}.`);
  }
  if (cmd.existing && cmd.existing.experimentId !== cmd.experiment.experimentId) {
    throw invalidParameter(`Trace with ID '${cmd.info.traceId}' already exists in another experiment.`);
  }
  const { traceId } = cmd.info;
  const artifactLocation = `${cmd.experiment.artifactLocation}/traces/${traceId}/artifacts`;
  return [
    {
      type: T.traceLogged,
      aggregateId: traceAggregateId(traceId),
      data: {
        ...cmd.info,
        experimentId: cmd.experiment.experimentId,
        metadata: lastValuePerKey(cmd.info.metadata),
        tags: lastValuePerKey([...cmd.info.tags.filter((t) => !SERVER_TRACE_TAGS.has(t.key)), { key: TRACE_ARTIFACT_LOCATION_TAG, value: artifactLocation }]),
      },
    },
  ];
}

export type TraceCommand =
  | { kind: 'setTag'; key: string; value: string }
  | { kind: 'deleteTag'; key: string }
  | { kind: 'delete' }
  | { kind: 'createAssessment'; assessment: TraceAssessment }
  | { kind: 'updateAssessment'; assessmentId: string; patch: (current: TraceAssessment) => TraceAssessment }
  | { kind: 'deleteAssessment'; assessmentId: string };

export function decideTrace(state: TraceAggregate | null, requestedId: string, cmd: TraceCommand): TrackingEvent[] {
  if (!state) throw notFound(`Trace with ID ${requestedId} is not found.`);
  const { traceId } = state;
  if ((cmd.kind === 'setTag' || cmd.kind === 'deleteTag') && SERVER_TRACE_TAGS.has(cmd.key)) {
    throw invalidParameter(`Tag '${cmd.key}' is immutable and cannot be ${cmd.kind === 'setTag' ? 'set' : 'deleted'} on a trace.`);
  }
  switch (cmd.kind) {
    case 'setTag':
      return [{ type: T.traceTagSet, aggregateId: traceAggregateId(traceId), data: { traceId, key: cmd.key, value: cmd.value } }];
    case 'deleteTag':
      // MLflow's SQL store: "No trace tag with key '…' for trace with ID '…'" (404).
      if (!state.tagKeys.has(cmd.key)) throw notFound(`No trace tag with key '${cmd.key}' for trace with ID '${traceId}'`);
      return [{ type: T.traceTagDeleted, aggregateId: traceAggregateId(traceId), data: { traceId, key: cmd.key } }];
    case 'delete':
      return [{ type: T.traceDeleted, aggregateId: traceAggregateId(traceId), data: { traceId } }];
    case 'createAssessment':
      return [{ type: T.traceAssessmentSet, aggregateId: traceAggregateId(traceId), data: { traceId, assessment: cmd.assessment } }];
    case 'updateAssessment': {
      const current = state.assessments.get(cmd.assessmentId);
      if (!current) throw notFound(`Assessment with ID '${cmd.assessmentId}' not found for trace '${traceId}'`);
      return [{ type: T.traceAssessmentSet, aggregateId: traceAggregateId(traceId), data: { traceId, assessment: cmd.patch(current) } }];
    }
    case 'deleteAssessment':
      // MLflow deletes an unknown assessment silently (DeleteAssessment is idempotent).
      if (!state.assessments.has(cmd.assessmentId)) return [];
      return [{ type: T.traceAssessmentDeleted, aggregateId: traceAggregateId(traceId), data: { traceId, assessmentId: cmd.assessmentId } }];
    default:
      return assertNever(cmd, 'command');
  }
}

// ---- protobuf JSON times (MLflow's trace messages use Timestamp and Duration) ------------------

/** A protobuf-JSON Timestamp (RFC 3339) as epoch milliseconds; undefined when absent or unreadable. */
export function timeOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Epoch milliseconds as protobuf JSON writes a Timestamp: no fraction for whole seconds, else milliseconds. */
export function toTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? iso.replace('.000Z', 'Z') : iso;
}

/** Milliseconds as a protobuf-JSON Duration: `"0.437s"`, `"2s"`. */
export function toDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  const millis = Math.abs(ms % 1000);
  return millis === 0 ? `${seconds}s` : `${ms < 0 && seconds === 0 ? '-' : ''}${seconds}.${String(millis).padStart(3, '0')}s`;
}

/** A protobuf-JSON Duration (`"0.437s"`, `"1.5s"`) in milliseconds, rounded; undefined when unreadable. */
export function durationOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(-?\d+)(?:\.(\d{1,9}))?s$/.exec(value);
  if (!match) return undefined;
  const [, whole = '0', fraction = ''] = match;
  const ms = Number(whole) * 1000 + (whole.startsWith('-') ? -1 : 1) * Math.round(Number(`0.${fraction || '0'}`) * 1000);
  return Number.isSafeInteger(ms) ? ms : undefined;
}
