import type { TraceInfoV3 } from '@cairn/contracts';
import type { TraceView } from '../application/views';
import { toDuration, toTimestamp } from '../domain/trace';

/** A trace's info as MLflow's `TraceInfoV3` protobuf JSON (empty maps and lists left out, as protobuf does). */
export function traceInfoJson(t: TraceView): TraceInfoV3 {
  const out: TraceInfoV3 = {
    trace_id: t.traceId,
    trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: t.experimentId } },
    request_time: toTimestamp(t.requestTime),
    state: t.state,
  };
  if (t.executionDuration !== null) out.execution_duration = toDuration(t.executionDuration);
  if (t.requestPreview !== null) out.request_preview = t.requestPreview;
  if (t.responsePreview !== null) out.response_preview = t.responsePreview;
  if (t.clientRequestId !== null) out.client_request_id = t.clientRequestId;
  if (Object.keys(t.metadata).length > 0) out.trace_metadata = t.metadata;
  if (t.assessments.length > 0) out.assessments = t.assessments;
  if (Object.keys(t.tags).length > 0) out.tags = t.tags;
  return out;
}
