import { CairnError } from '@cairn/contracts';
import { aggregationLabel, parseMetricFilter, timeBucketLabel, traceMetricsQuery, type TraceMetricsRequest } from './trace-metrics';

const request = (over: Partial<TraceMetricsRequest> = {}): TraceMetricsRequest => ({
  viewType: 'TRACES',
  metricName: 'trace_count',
  aggregations: [{ type: 'COUNT' }],
  dimensions: [],
  filters: [],
  ...over,
});

function refusal(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (error) {
    if (error instanceof CairnError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('QueryTraceMetrics validation (MLflow 3.18 validate_query_trace_metrics_params)', () => {
  it('accepts what the web UI sends for its trace charts', () => {
    const q = traceMetricsQuery(
      request({ dimensions: ['trace_status'], timeIntervalSeconds: 3600, startTimeMs: 0, endTimeMs: 10, filters: ["trace.status = 'OK'"] }),
    );
    expect(q).toMatchObject({ metricName: 'trace_count', dimensions: ['trace_status'], timeIntervalSeconds: 3600, maxResults: 1000 });
    expect(q.filters).toEqual([{ entity: 'status', value: 'OK' }]);
  });

  it('names the trace metrics in MLflow order when the metric is unknown', () => {
    expect(refusal(() => traceMetricsQuery(request({ metricName: 'span_count' })))).toEqual({
      code: 'INVALID_PARAMETER_VALUE',
      message:
        "metric_name must be one of ['trace_count', 'session_count', 'latency', 'input_tokens', 'output_tokens', 'total_tokens', " +
        "'cache_read_input_tokens', 'cache_creation_input_tokens'], got 'span_count'",
    });
  });

  it('refuses an aggregation the metric does not support, listing the supported ones sorted', () => {
    expect(refusal(() => traceMetricsQuery(request({ metricName: 'latency', aggregations: [{ type: 'SUM' }, { type: 'COUNT' }] }))).message).toBe(
      "Found invalid aggregation_type(s): ['COUNT', 'SUM']. Supported aggregation types: ['AVG', 'MAX', 'MIN', 'PERCENTILE']",
    );
  });

  it('refuses a dimension the metric cannot be grouped by', () => {
    expect(refusal(() => traceMetricsQuery(request({ metricName: 'latency', aggregations: [{ type: 'AVG' }], dimensions: ['trace_status'] }))).message).toBe(
      "Found invalid dimension(s): ['trace_status']. Supported dimensions: ['trace_name']",
    );
  });

  it('needs a start and an end to bucket by time; an interval of 0 means no buckets', () => {
    expect(refusal(() => traceMetricsQuery(request({ timeIntervalSeconds: 60, startTimeMs: 1 }))).message).toBe(
      'start_time_ms and end_time_ms are required if time_interval_seconds is set',
    );
    expect(traceMetricsQuery(request({ timeIntervalSeconds: 0 })).timeIntervalSeconds).toBeUndefined();
  });

  it('checks percentile values as MLflow’s MetricAggregation does', () => {
    const latency = (aggregations: TraceMetricsRequest['aggregations']) => () => traceMetricsQuery(request({ metricName: 'latency', aggregations }));
    expect(refusal(latency([{ type: 'PERCENTILE' }])).message).toBe('Percentile value is required for PERCENTILE aggregation');
    expect(refusal(latency([{ type: 'PERCENTILE', percentile: 101 }])).message).toBe('Percentile value must be between 0 and 100, got 101');
    expect(refusal(latency([{ type: 'AVG', percentile: 50 }])).message).toBe('Percentile value is only allowed for PERCENTILE aggregation type, got AVG');
  });

  it('takes no inherited property for a metric name, and a negative max_results as no limit', () => {
    expect(refusal(() => traceMetricsQuery(request({ metricName: 'constructor' }))).message).toContain("got 'constructor'");
    expect(traceMetricsQuery(request({ maxResults: -1 })).maxResults).toBe(Number.POSITIVE_INFINITY);
    expect(traceMetricsQuery(request({ maxResults: 0 })).maxResults).toBe(0);
  });

  it('answers SPANS with 501, not with empty data', () => {
    expect(refusal(() => traceMetricsQuery(request({ viewType: 'SPANS', metricName: 'span_count' }))).code).toBe('NOT_IMPLEMENTED');
  });

  it('checks ASSESSMENTS against its own metrics and dimensions', () => {
    const q = traceMetricsQuery(
      request({
        viewType: 'ASSESSMENTS',
        metricName: 'assessment_count',
        dimensions: ['assessment_name', 'assessment_value'],
        filters: ["assessment.type = 'feedback'"],
      }),
    );
    expect(q).toMatchObject({ viewType: 'ASSESSMENTS', metricName: 'assessment_count', filters: [{ entity: 'assessment_type', value: 'feedback' }] });
    expect(refusal(() => traceMetricsQuery(request({ viewType: 'ASSESSMENTS', metricName: 'trace_count' }))).message).toBe(
      "metric_name must be one of ['assessment_count', 'assessment_value'], got 'trace_count'",
    );
    expect(
      refusal(() =>
        traceMetricsQuery(
          request({ viewType: 'ASSESSMENTS', metricName: 'assessment_value', aggregations: [{ type: 'AVG' }], dimensions: ['assessment_value'] }),
        ),
      ).message,
    ).toBe("Found invalid dimension(s): ['assessment_value']. Supported dimensions: ['assessment_name']");
    expect(refusal(() => parseMetricFilter("assessment.name = 'x'", 'TRACES')).message).toBe(
      'Filtering by assessment is only supported for ASSESSMENTS view type, got TRACES',
    );
  });
});

describe('trace metrics filters (MLflow SearchTraceMetricsUtils)', () => {
  it('reads status, tag and metadata clauses, with quoted or backticked keys', () => {
    expect(parseMetricFilter("trace.tag.`mlflow.traceName` = 'predict'", 'TRACES')).toEqual({ entity: 'tag', key: 'mlflow.traceName', value: 'predict' });
    expect(parseMetricFilter('trace.metadata.mlflow.sourceRun = "abc"', 'TRACES')).toEqual({ entity: 'metadata', key: 'mlflow.sourceRun', value: 'abc' });
    expect(parseMetricFilter("trace.status='ERROR'", 'TRACES')).toEqual({ entity: 'status', value: 'ERROR' });
  });

  it('refuses other comparators, unquoted values, keys where none belongs and span clauses on traces', () => {
    expect(refusal(() => parseMetricFilter("trace.status != 'OK'", 'TRACES')).message).toBe("Invalid comparator: '!=', only '=' operator is supported");
    expect(refusal(() => parseMetricFilter('trace.status = OK', 'TRACES')).message).toBe(
      "Expected a quoted string value for status value (e.g. 'my-value'). Got value OK",
    );
    expect(refusal(() => parseMetricFilter("trace.tag = 'x'", 'TRACES')).message).toBe("Filtering by tag requires a key, e.g. 'trace.tag.<key> = <value>'");
    expect(refusal(() => parseMetricFilter("trace.status.x = 'OK'", 'TRACES')).message).toBe(
      "Filtering by status does not require a key, use 'trace.status' instead",
    );
    expect(refusal(() => parseMetricFilter("trace.name = 'x'", 'TRACES')).message).toBe(
      "Invalid entity 'name' specified for view type 'trace'. Valid entities are ['status', 'tag', 'metadata']",
    );
    expect(refusal(() => parseMetricFilter("span.name = 'x'", 'TRACES')).message).toBe('Filtering by span is only supported for SPANS view type, got TRACES');
  });
});

describe('data point labels', () => {
  it('labels percentiles as Python prints the float (P50.0, P99.9)', () => {
    expect(aggregationLabel({ type: 'PERCENTILE', percentile: 50 })).toBe('P50.0');
    expect(aggregationLabel({ type: 'PERCENTILE', percentile: 99.9 })).toBe('P99.9');
    expect(aggregationLabel({ type: 'COUNT' })).toBe('COUNT');
  });

  it('prints a bucket start as datetime.isoformat() in UTC', () => {
    expect(timeBucketLabel(Date.UTC(2026, 0, 2, 3))).toBe('2026-01-02T03:00:00+00:00');
    expect(timeBucketLabel(1500)).toBe('1970-01-01T00:00:01.500000+00:00');
  });
});
