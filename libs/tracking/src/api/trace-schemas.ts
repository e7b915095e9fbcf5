import { z } from 'zod';
import { double, id, int64, protoEnum, required, str, type TraceState } from '@cairn/contracts';

/** Request schemas of MLflow 3's trace endpoints (service.proto: StartTraceV3, SearchTracesV3, …), field names as on the wire. */

const traceState = protoEnum<TraceState>({ 0: 'STATE_UNSPECIFIED', 1: 'OK', 2: 'ERROR', 3: 'IN_PROGRESS' });
const stringMap = z.record(str, str).optional().default({});
/** Stored as jsonb, which refuses NUL in any string (Postgres cannot hold it): refused here, not a 500 there. */
const assessment = z.record(z.string(), z.unknown()).refine((a) => !JSON.stringify(a).includes('\\u0000'), 'Strings must not contain NUL characters.');
const experimentLocation = z.object({ mlflow_experiment: z.object({ experiment_id: required(id) }) });

export const traceInfo = z.object({
  trace_id: required(str),
  trace_location: required(experimentLocation),
  request_time: required(str),
  execution_duration: str.optional(),
  state: traceState.optional().default('STATE_UNSPECIFIED'),
  request_preview: str.optional(),
  response_preview: str.optional(),
  client_request_id: str.optional(),
  trace_metadata: stringMap,
  tags: stringMap,
  assessments: z.array(assessment).optional().default([]),
});

export const startTraceV3 = z.object({ trace: required(z.object({ trace_info: required(traceInfo) })) });
/** Only the experiment of StartTraceV3, for its access rule. */
export const startTraceV3Experiment = z.object({
  trace: required(z.object({ trace_info: required(z.object({ trace_location: required(experimentLocation) })) })),
});

export const batchGetTraces = z.object({ trace_ids: z.array(str).min(1) });
export const batchGetTraceInfos = z.object({ trace_ids: required(z.array(str)), experiment_ids: z.array(str).optional() });

export const searchTracesV3 = z.object({
  locations: z.array(experimentLocation).optional().default([]),
  filter: str.optional(),
  max_results: int64.optional(),
  order_by: z.array(str).optional().default([]),
  page_token: str.optional(),
});

export const setTraceTag = z.object({ key: required(str), value: str.optional().default('') });
export const deleteTraceTag = z.object({ key: required(str) });

export const deleteTraces = z.object({
  experiment_id: required(id),
  max_timestamp_millis: int64.optional(),
  max_traces: int64.optional(),
  request_ids: z.array(str).optional().default([]),
});

export const createAssessment = z.object({ assessment: required(assessment) });
export const updateAssessment = z.object({ assessment: required(assessment), update_mask: required(str) });

export const getTraceArtifact = z.object({ request_id: required(str) });

/**
 * QueryTraceMetrics (service.proto): enums by name or number, as protobuf JSON takes them. An empty
 * `experiment_ids` is allowed (MLflow answers a zero count), an absent one is missing.
 */
export const queryTraceMetrics = z.object({
  experiment_ids: required(z.array(id)),
  view_type: required(protoEnum({ 1: 'TRACES', 2: 'SPANS', 3: 'ASSESSMENTS' })),
  metric_name: required(str),
  aggregations: required(
    z
      .array(
        z.object({
          aggregation_type: required(protoEnum({ 1: 'COUNT', 2: 'SUM', 3: 'AVG', 4: 'PERCENTILE', 5: 'MIN', 6: 'MAX' })),
          percentile_value: double.optional(),
        }),
      )
      .min(1),
  ),
  dimensions: z.array(str).optional().default([]),
  filters: z.array(str).optional().default([]),
  time_interval_seconds: int64.optional(),
  start_time_ms: int64.optional(),
  end_time_ms: int64.optional(),
  max_results: int64.optional(),
  page_token: str.optional(),
});
