import { CairnError, invalidParameter } from '@cairn/contracts';

/**
 * QueryTraceMetrics (MLflow 3.18 `POST 3.0/mlflow/traces/metrics`): which metrics, aggregations,
 * dimensions and filters a request may name, checked in the order and with the messages of MLflow's
 * `validate_query_trace_metrics_params` (store/tracking/utils/sql_trace_metrics_utils.py).
 */

export type MetricViewType = 'TRACES' | 'SPANS' | 'ASSESSMENTS';
export type AggregationType = 'COUNT' | 'SUM' | 'AVG' | 'PERCENTILE' | 'MIN' | 'MAX';

export interface MetricAggregation {
  type: AggregationType;
  percentile?: number;
}

export type TraceMetricName =
  'trace_count' | 'session_count' | 'latency' | 'input_tokens' | 'output_tokens' | 'total_tokens' | 'cache_read_input_tokens' | 'cache_creation_input_tokens';
export type AssessmentMetricName = 'assessment_count' | 'assessment_value';
export type TraceMetricDimension = 'trace_name' | 'trace_status';
export type AssessmentMetricDimension = 'assessment_name' | 'assessment_value';

/**
 * One `filters` entry in MLflow's metrics grammar: `trace.status = 'OK'`, `trace.tag.<key> = '…'`,
 * `trace.metadata.<key> = '…'`, and in the ASSESSMENTS view `assessment.name` / `assessment.type`.
 */
export type TraceMetricFilter =
  { entity: 'status' | 'assessment_name' | 'assessment_type'; value: string } | { entity: 'tag' | 'metadata'; key: string; value: string };

/** The views Cairn answers, each with its metrics and dimensions. */
export type TraceMetricsView =
  | { viewType: 'TRACES'; metricName: TraceMetricName; dimensions: readonly TraceMetricDimension[] }
  | { viewType: 'ASSESSMENTS'; metricName: AssessmentMetricName; dimensions: readonly AssessmentMetricDimension[] };

export type TraceMetricsQuery = TraceMetricsView & {
  aggregations: readonly MetricAggregation[];
  filters: readonly TraceMetricFilter[];
  /** Bucket width; absent (or 0, as MLflow's `if time_interval_seconds`) means one bucket. */
  timeIntervalSeconds?: number;
  startTimeMs?: number;
  endTimeMs?: number;
  maxResults: number;
};

/** MLflow's MAX_RESULTS_QUERY_TRACE_METRICS. */
export const DEFAULT_MAX_RESULTS = 1000;

const NUMERIC: readonly AggregationType[] = ['SUM', 'AVG', 'MIN', 'MAX', 'PERCENTILE'];
const TOKENS = { aggregations: NUMERIC, dimensions: ['trace_name'] } as const;

/** MLflow's TRACES_METRICS_CONFIGS, in its order (its error messages list the names in this order). */
const TRACES_METRICS: Record<TraceMetricName, { aggregations: readonly AggregationType[]; dimensions: readonly string[] }> = {
  trace_count: { aggregations: ['COUNT'], dimensions: ['trace_name', 'trace_status'] },
  session_count: { aggregations: ['COUNT'], dimensions: [] },
  latency: { aggregations: ['AVG', 'MIN', 'MAX', 'PERCENTILE'], dimensions: ['trace_name'] },
  input_tokens: TOKENS,
  output_tokens: TOKENS,
  total_tokens: TOKENS,
  cache_read_input_tokens: TOKENS,
  cache_creation_input_tokens: TOKENS,
};

/** MLflow's ASSESSMENTS_METRICS_CONFIGS. */
const ASSESSMENTS_METRICS: Record<AssessmentMetricName, { aggregations: readonly AggregationType[]; dimensions: readonly string[] }> = {
  assessment_count: { aggregations: ['COUNT'], dimensions: ['assessment_name', 'assessment_value'] },
  assessment_value: { aggregations: ['AVG', 'MIN', 'MAX', 'PERCENTILE'], dimensions: ['assessment_name'] },
};

/** Python's `repr` of a list of strings, as MLflow's messages print them. */
const pyList = (items: readonly string[]): string => `[${items.map((i) => `'${i}'`).join(', ')}]`;

/** Python's `str(float)`: the percentile label is `f"P{percentile_value}"`, so 50 is "P50.0". */
export function aggregationLabel(aggregation: MetricAggregation): string {
  if (aggregation.type !== 'PERCENTILE') return aggregation.type;
  const p = aggregation.percentile ?? 0;
  return `P${Number.isInteger(p) ? `${p}.0` : String(p)}`;
}

/** MetricAggregation's own checks (MLflow raises them while reading the request). */
function checkAggregation(aggregation: MetricAggregation): void {
  if (aggregation.type === 'PERCENTILE') {
    const p = aggregation.percentile;
    if (p === undefined) throw invalidParameter('Percentile value is required for PERCENTILE aggregation');
    if (!(p >= 0 && p <= 100)) throw invalidParameter(`Percentile value must be between 0 and 100, got ${p}`);
  } else if (aggregation.percentile !== undefined) {
    throw invalidParameter(`Percentile value is only allowed for PERCENTILE aggregation type, got ${aggregation.type}`);
  }
}

const FILTER_SHAPE = /^\s*(`?)(\w+)\1\.(\w+)(?:\.(`[^`]+`|"[^"]+"|'[^']+'|[\w.-]+))?\s*(!=|<>|>=|<=|=|<|>|\bLIKE\b|\bILIKE\b|\bIN\b)\s*(.*?)\s*$/i;
const VIEW_ENTITIES: Record<string, Record<string, boolean>> = {
  trace: { status: false, tag: true, metadata: true },
  span: { name: false, status: false, type: false },
  assessment: { name: false, type: false },
};

/** One filter clause in MLflow's SearchTraceMetricsUtils grammar (only `=`, a quoted value). */
export function parseMetricFilter(filter: string, viewType: MetricViewType): TraceMetricFilter {
  const m = FILTER_SHAPE.exec(filter);
  if (!m) throw invalidParameter(`Invalid filter: '${filter}'. Expected one filter clause.`);
  const [, , view = '', entity = '', rawKey, comparator = '', rawValue = ''] = m;
  const entities = VIEW_ENTITIES[view];
  if (!entities) throw invalidParameter(`Invalid view type '${view}'. Valid values are dict_keys(${pyList(Object.keys(VIEW_ENTITIES))})`);
  const needsKey = entities[entity];
  if (needsKey === undefined)
    throw invalidParameter(`Invalid entity '${entity}' specified for view type '${view}'. Valid entities are ${pyList(Object.keys(entities))}`);
  if (needsKey && rawKey === undefined) throw invalidParameter(`Filtering by ${entity} requires a key, e.g. '${view}.${entity}.<key> = <value>'`);
  if (!needsKey && rawKey !== undefined) throw invalidParameter(`Filtering by ${entity} does not require a key, use '${view}.${entity}' instead`);
  if (comparator !== '=') throw invalidParameter(`Invalid comparator: '${comparator}', only '=' operator is supported`);
  const quoted = /^(['"])(.*)\1$/s.exec(rawValue);
  if (!quoted) throw invalidParameter(`Expected a quoted string value for ${entity} value (e.g. 'my-value'). Got value ${rawValue}`);
  const value = quoted[2] ?? '';
  if (view === 'span' && viewType !== 'SPANS') throw invalidParameter(`Filtering by span is only supported for SPANS view type, got ${viewType}`);
  if (view === 'assessment') {
    if (viewType !== 'ASSESSMENTS') throw invalidParameter(`Filtering by assessment is only supported for ASSESSMENTS view type, got ${viewType}`);
    return { entity: entity === 'name' ? 'assessment_name' : 'assessment_type', value };
  }
  if (entity === 'status') return { entity, value };
  const key = (rawKey ?? '').replace(/^[`'"]|[`'"]$/g, '');
  return { entity: entity === 'tag' ? 'tag' : 'metadata', key, value };
}

export interface TraceMetricsRequest {
  viewType: MetricViewType;
  metricName: string;
  aggregations: readonly MetricAggregation[];
  dimensions: readonly string[];
  filters: readonly string[];
  timeIntervalSeconds?: number | undefined;
  startTimeMs?: number | undefined;
  endTimeMs?: number | undefined;
  maxResults?: number | undefined;
}

/**
 * The request checked as MLflow's SQL store checks it. SPANS is a valid request to MLflow but Cairn
 * cannot answer it: spans live in the artifact store (`traces.json`), not in a table. It is refused
 * with 501 NOT_IMPLEMENTED, never answered with empty data.
 */
export function traceMetricsQuery(request: TraceMetricsRequest): TraceMetricsQuery {
  request.aggregations.forEach(checkAggregation);
  if (request.viewType === 'SPANS') {
    throw new CairnError('NOT_IMPLEMENTED', "Span metrics (view_type 'SPANS') are not supported by Cairn: its spans are kept in the artifact store.");
  }
  const table: Record<string, { aggregations: readonly AggregationType[]; dimensions: readonly string[] }> =
    request.viewType === 'TRACES' ? TRACES_METRICS : ASSESSMENTS_METRICS;
  const config = Object.hasOwn(table, request.metricName) ? table[request.metricName] : undefined;
  if (config === undefined) throw invalidParameter(`metric_name must be one of ${pyList(Object.keys(table))}, got '${request.metricName}'`);
  const invalidAggs = [...new Set(request.aggregations.map((a) => a.type))].filter((t) => !config.aggregations.includes(t));
  if (invalidAggs.length > 0) {
    throw invalidParameter(
      `Found invalid aggregation_type(s): ${pyList(invalidAggs.sort())}. Supported aggregation types: ${pyList([...config.aggregations].sort())}`,
    );
  }
  const invalidDims = [...new Set(request.dimensions)].filter((d) => !config.dimensions.includes(d));
  if (invalidDims.length > 0) {
    throw invalidParameter(`Found invalid dimension(s): ${pyList(invalidDims.sort())}. Supported dimensions: ${pyList([...config.dimensions].sort())}`);
  }
  const bucketed = request.timeIntervalSeconds !== undefined && request.timeIntervalSeconds !== 0;
  if (bucketed && (request.startTimeMs === undefined || request.endTimeMs === undefined)) {
    throw invalidParameter('start_time_ms and end_time_ms are required if time_interval_seconds is set');
  }
  // Checked against the view's table above, so the names are the view's.
  const view = { viewType: request.viewType, metricName: request.metricName, dimensions: request.dimensions } as TraceMetricsView;
  return {
    ...view,
    aggregations: request.aggregations,
    filters: request.filters.map((f) => parseMetricFilter(f, request.viewType)),
    ...(bucketed ? { timeIntervalSeconds: request.timeIntervalSeconds } : {}),
    ...(request.startTimeMs !== undefined ? { startTimeMs: request.startTimeMs } : {}),
    ...(request.endTimeMs !== undefined ? { endTimeMs: request.endTimeMs } : {}),
    // A negative max_results is no limit, as SQL LIMIT -1 is in MLflow's default SQLite store.
    maxResults: request.maxResults === undefined ? DEFAULT_MAX_RESULTS : request.maxResults < 0 ? Number.POSITIVE_INFINITY : request.maxResults,
  };
}

/** A bucket's start as MLflow prints it: Python's `datetime.isoformat()` in UTC ("2026-01-02T03:00:00+00:00"). */
export function timeBucketLabel(bucketStartMs: number): string {
  const iso = new Date(bucketStartMs).toISOString(); // 2026-01-02T03:00:00.000Z
  const millis = iso.slice(20, 23);
  return `${iso.slice(0, 19)}${millis === '000' ? '' : `.${millis}000`}+00:00`;
}
