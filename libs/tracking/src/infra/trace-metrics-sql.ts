import type {
  AssessmentMetricDimension,
  AssessmentMetricName,
  MetricAggregation,
  TraceMetricDimension,
  TraceMetricName,
  TraceMetricsQuery,
} from '../domain/trace-metrics';

/**
 * QueryTraceMetrics over the trace read model (0014_traces) as one grouped statement, built the way
 * MLflow's `query_metrics` builds it: the experiments' visible traces, narrowed by the filters and the
 * inclusive time range; rows whose metric or a dimension is NULL left out before grouping (so they
 * cannot take a LIMIT slot); grouped by time bucket then dimensions, ordered the same way.
 *
 * MLflow keeps trace name, session and token counts in columns of `trace_info`; here they are the
 * `mlflow.traceName` tag and the `mlflow.trace.session` / `mlflow.trace.tokenUsage` metadata. Its
 * `assessments` columns (value text, numeric value, type) are read from the stored Assessment JSON.
 */

/**
 * One row per matching trace with every value a metric or dimension reads. `$1` experiment ids;
 * `%VISIBLE%` and `%FILTERS%` are conditions on `tr`. Token counts are read from the client's
 * `{"input_tokens": 10, …}` JSON with a pattern rather than a jsonb cast, which a malformed value
 * would turn into a 500 for the whole query (MLflow drops such values too).
 */
const TRACE_FACTS = `
  SELECT tr.trace_id, tr.request_time, tr.state AS trace_status, tr.execution_duration AS latency,
         (SELECT value FROM tracking.trace_tags WHERE trace_id = tr.trace_id AND key = 'mlflow.traceName') AS trace_name,
         (SELECT value FROM tracking.trace_metadata WHERE trace_id = tr.trace_id AND key = 'mlflow.trace.session') AS session_id,
         (SELECT value FROM tracking.trace_metadata WHERE trace_id = tr.trace_id AND key = 'mlflow.trace.tokenUsage') AS token_usage
  FROM tracking.traces tr
  WHERE tr.experiment_id = ANY($1::bigint[]) AND %VISIBLE% AND %FILTERS%`;

/** An assessment's value as the client logged it (a feedback's, else an expectation's). */
const ASSESSMENT_VALUE = `CASE WHEN a.body ? 'feedback' THEN a.body -> 'feedback' -> 'value' ELSE a.body -> 'expectation' -> 'value' END`;

/**
 * One row per valid assessment of a matching trace, timed by its trace (MLflow's
 * `trace_timestamp_ms`). `assessment_value` is Python's `json.dumps` of the value, MLflow's `value`
 * column, for scalars (a number prints as a float: `5.0`; a missing value is `null`);
 * `aggregate_value` is MLflow's `assessment_aggregate`: true/"yes" 1, false/"no" 0, finite numbers
 * as they are, anything else NULL.
 */
const ASSESSMENT_FACTS = `
  SELECT a.assessment_id, tr.request_time, a.name AS assessment_name,
         CASE jsonb_typeof(v.value)
           WHEN 'number' THEN CASE WHEN v.value::text ~ '^-?\\d+$' THEN v.value::text || '.0' ELSE v.value::text END
           ELSE coalesce(v.value::text, 'null')
         END AS assessment_value,
         CASE jsonb_typeof(v.value)
           WHEN 'boolean' THEN CASE WHEN v.value = 'true'::jsonb THEN 1 ELSE 0 END
           WHEN 'number' THEN (v.value::text)::float8
           WHEN 'string' THEN CASE lower(btrim(v.value #>> '{}', E' \\t\\n\\r\\f\\v')) WHEN 'yes' THEN 1 WHEN 'no' THEN 0 END
         END AS aggregate_value
  FROM tracking.trace_assessments a
  JOIN tracking.traces tr ON tr.trace_id = a.trace_id
  CROSS JOIN LATERAL (SELECT ${ASSESSMENT_VALUE} AS value) v
  WHERE tr.experiment_id = ANY($1::bigint[]) AND %VISIBLE% AND %FILTERS%
    AND coalesce(a.body ->> 'valid', 'true') <> 'false'`;

/** Which kind of assessment a row is, as MLflow's `assessment_type` column. */
const ASSESSMENT_TYPE = `CASE WHEN a.body ? 'feedback' THEN 'feedback' WHEN a.body ? 'expectation' THEN 'expectation' ELSE 'issue' END`;

const tokenCount = (key: string): string => `substring(f.token_usage FROM '"${key}"\\s*:\\s*(\\d{1,18})(?![\\d.eE])')::bigint`;

/** The per-row value a metric aggregates (MLflow's `_get_column_to_aggregate`). */
const METRIC_VALUE: Record<TraceMetricName | AssessmentMetricName, string> = {
  trace_count: 'f.trace_id',
  session_count: 'f.session_id',
  latency: 'f.latency',
  input_tokens: tokenCount('input_tokens'),
  output_tokens: tokenCount('output_tokens'),
  total_tokens: tokenCount('total_tokens'),
  cache_read_input_tokens: tokenCount('cache_read_input_tokens'),
  cache_creation_input_tokens: tokenCount('cache_creation_input_tokens'),
  assessment_count: 'f.assessment_id',
  assessment_value: 'f.aggregate_value',
};

/** Byte order, as MLflow's default SQLite store sorts the dimension strings. */
const DIMENSION_VALUE: Record<TraceMetricDimension | AssessmentMetricDimension, string> = {
  trace_name: 'f.trace_name COLLATE "C"',
  trace_status: 'f.trace_status COLLATE "C"',
  assessment_name: 'f.assessment_name COLLATE "C"',
  assessment_value: 'f.assessment_value COLLATE "C"',
};

/** `percentile_cont` interpolates linearly, as MLflow's Postgres and SQLite stores do (numpy's default). */
function aggregate(aggregation: MetricAggregation, metric: TraceMetricName | AssessmentMetricName, value: string): string {
  switch (aggregation.type) {
    case 'COUNT':
      return metric === 'session_count' ? `count(DISTINCT ${value})::float8` : `count(${value})::float8`;
    case 'SUM':
      return `sum(${value})::float8`;
    case 'AVG':
      return `avg(${value})::float8`;
    case 'MIN':
      return `min(${value})::float8`;
    case 'MAX':
      return `max(${value})::float8`;
    case 'PERCENTILE':
      return `percentile_cont(${(aggregation.percentile ?? 0) / 100}) WITHIN GROUP (ORDER BY ${value})::float8`;
  }
}

export interface TraceMetricsStatement {
  text: string;
  values: unknown[];
  /** Result columns: `time_bucket` (epoch ms, text) when bucketed, then the dimensions, then `agg_0`… */
  dimensions: readonly ('time_bucket' | TraceMetricDimension | AssessmentMetricDimension)[];
}

/**
 * The statement for one query. `visible` is the caller's read scope on `tr.experiment_id` with
 * placeholders from `$2`; every other value is bound after it.
 */
export function traceMetricsStatement(
  query: TraceMetricsQuery,
  experimentIds: readonly string[],
  visible: { sql: string; values: readonly unknown[] },
): TraceMetricsStatement {
  const values: unknown[] = [experimentIds, ...visible.values];
  const bind = (v: unknown): string => `$${values.push(v)}`;

  const filters = query.filters.map((f) => {
    switch (f.entity) {
      case 'assessment_name':
        return `a.name = ${bind(f.value)}`;
      case 'assessment_type':
        return `${ASSESSMENT_TYPE} = ${bind(f.value)}`;
      case 'status':
        return `tr.state = ${bind(f.value)}`;
      case 'tag':
        return `EXISTS (SELECT 1 FROM tracking.trace_tags WHERE trace_id = tr.trace_id AND key = ${bind(f.key)} AND value = ${bind(f.value)})`;
      case 'metadata': {
        const metadata = `EXISTS (SELECT 1 FROM tracking.trace_metadata WHERE trace_id = tr.trace_id AND key = ${bind(f.key)} AND value = ${bind(f.value)})`;
        // A trace linked to a run after the fact has the run in `run_id`, not in its metadata (as MLflow's entity associations).
        return f.key === 'mlflow.sourceRun' ? `(${metadata} OR tr.run_id = ${bind(f.value)})` : metadata;
      }
    }
  });
  if (query.startTimeMs !== undefined) filters.push(`tr.request_time >= ${bind(query.startTimeMs)}`);
  if (query.endTimeMs !== undefined) filters.push(`tr.request_time <= ${bind(query.endTimeMs)}`);

  const facts = (query.viewType === 'TRACES' ? TRACE_FACTS : ASSESSMENT_FACTS)
    .replace('%VISIBLE%', visible.sql)
    .replace('%FILTERS%', filters.length > 0 ? filters.join(' AND ') : 'TRUE');
  const value = METRIC_VALUE[query.metricName];

  const groups: { name: 'time_bucket' | TraceMetricDimension | AssessmentMetricDimension; expr: string }[] = [];
  if (query.timeIntervalSeconds !== undefined) {
    const width = bind(query.timeIntervalSeconds * 1000);
    groups.push({ name: 'time_bucket', expr: `(floor(f.request_time::numeric / ${width}::numeric) * ${width}::numeric)::bigint` });
  }
  for (const d of query.dimensions) groups.push({ name: d, expr: DIMENSION_VALUE[d] });

  const notNull = [`${value} IS NOT NULL`, ...query.dimensions.map((d) => `f.${d} IS NOT NULL`)];
  const select = [
    ...groups.map((g) => `${g.expr} AS "${g.name}"`),
    ...query.aggregations.map((a, i) => `${aggregate(a, query.metricName, value)} AS agg_${i}`),
  ];
  const grouping = groups.length > 0 ? `GROUP BY ${groups.map((g) => g.expr).join(', ')} ORDER BY ${groups.map((g) => g.expr).join(', ')}` : '';
  const text = `
    SELECT ${select.join(', ')}
    FROM (${facts}) f
    WHERE ${notNull.join(' AND ')}
    ${grouping}
    LIMIT ${bind(Number.isFinite(query.maxResults) ? query.maxResults : null)}`;
  return { text, values, dimensions: groups.map((g) => g.name) };
}
