import path from 'node:path';
import { runMlflowClient, startMlflowServer, startServer, type StartedMlflowServer, type StartedServer } from '@cairn/testing';

const scenario = path.join(__dirname, '..', 'e2e', 'trace_metrics_scenario.py');
const HOUR = 3_600_000;

/** Logs the scenario's traces with the real 3.x client; answers the experiment they are in. */
async function logTraces(url: string, baseMs: number): Promise<string> {
  const result = await runMlflowClient(3, scenario, [String(baseMs)], { MLFLOW_TRACKING_URI: url });
  const line = result.stdout.split('\n').find((l) => l.startsWith('METRICS EXPERIMENT '));
  if (result.code !== 0 || !result.stdout.includes('METRICS SCENARIO OK') || line === undefined) {
    throw new Error(`trace metrics scenario failed against ${url}:\n${result.stdout}\n${result.stderr}`);
  }
  return line.slice('METRICS EXPERIMENT '.length).trim();
}

/** The answer as a user of it sees it: status, and the body without MLflow's `sqlstate`/`error_class` decorations. */
async function queryMetrics(url: string, body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/ajax-api/3.0/mlflow/traces/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  const { sqlstate: _sqlstate, error_class: _errorClass, ...rest } = json;
  return { status: response.status, body: rest };
}

/**
 * QueryTraceMetrics as MLflow 3.18's web UI sends it (the requests of its traces pages and charts,
 * read from the UI build: counts, counts per hour and status, latency and token percentiles, session
 * count), over the same traces logged by the real client into Cairn and into `mlflow server`: every
 * answer must be the same, errors included.
 */
describe('QueryTraceMetrics: Cairn answers the web UI as mlflow server does', () => {
  let cairn: StartedServer;
  let mlflow: StartedMlflowServer;
  // Whole hours, so the UI's hourly buckets fall the same way on both servers.
  const base = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR;
  const ids: Record<'cairn' | 'mlflow', string> = { cairn: '', mlflow: '' };

  beforeAll(async () => {
    [cairn, mlflow] = await Promise.all([startServer({ app: 'server' }), startMlflowServer()]);
    [ids.cairn, ids.mlflow] = await Promise.all([logTraces(cairn.url, base), logTraces(mlflow.url, base)]);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([cairn?.stop(), mlflow?.stop()]);
  }, 60_000);

  const count = { metric_name: 'trace_count', aggregations: [{ aggregation_type: 'COUNT' }] };
  const percentiles = [50, 90, 99].map((p) => ({ aggregation_type: 'PERCENTILE', percentile_value: p }));
  const assessmentCount = { metric_name: 'assessment_count', aggregations: [{ aggregation_type: 'COUNT' }] };
  const range = { start_time_ms: base, end_time_ms: base + 4 * HOUR };
  const requests: [string, Record<string, unknown>][] = [
    ['trace count', count],
    ['trace count in a range', { ...count, ...range }],
    ['trace count per hour and status', { ...count, ...range, time_interval_seconds: 3600, dimensions: ['trace_status'], filters: [] }],
    ['trace count per name, one group', { ...count, dimensions: ['trace_name'], max_results: 1 }],
    ['trace count of a name', { ...count, filters: ["trace.tag.mlflow.traceName = 'rag'"] }],
    ['trace count of a status', { ...count, filters: ["trace.status = 'ERROR'"] }],
    ['average latency', { metric_name: 'latency', aggregations: [{ aggregation_type: 'AVG' }], filters: ["trace.status = 'OK'"] }],
    ['latency percentiles per hour', { metric_name: 'latency', aggregations: percentiles, ...range, time_interval_seconds: 3600 }],
    [
      'latency per trace name',
      { metric_name: 'latency', aggregations: [{ aggregation_type: 'MIN' }, { aggregation_type: 'MAX' }], dimensions: ['trace_name'] },
    ],
    ['token percentiles per hour', { metric_name: 'total_tokens', aggregations: percentiles, ...range, time_interval_seconds: 3600 }],
    ['token sum and average', { metric_name: 'total_tokens', aggregations: [{ aggregation_type: 'SUM' }, { aggregation_type: 'AVG' }] }],
    ['input tokens per trace name', { metric_name: 'input_tokens', aggregations: [{ aggregation_type: 'MIN' }], dimensions: ['trace_name'] }],
    ['session count', { metric_name: 'session_count', aggregations: [{ aggregation_type: 'COUNT' }], ...range }],
    ['assessment count per name and value', { view_type: 'ASSESSMENTS', ...assessmentCount, dimensions: ['assessment_name', 'assessment_value'] }],
    ['assessment count per name in a range', { view_type: 'ASSESSMENTS', ...assessmentCount, ...range, dimensions: ['assessment_name'] }],
    [
      'assessment value per name and hour',
      {
        view_type: 'ASSESSMENTS',
        metric_name: 'assessment_value',
        aggregations: [{ aggregation_type: 'AVG' }],
        dimensions: ['assessment_name'],
        ...range,
        time_interval_seconds: 3600,
        filters: ["assessment.type = 'feedback'"],
      },
    ],
    [
      'assessment value percentiles of a name',
      { view_type: 'ASSESSMENTS', metric_name: 'assessment_value', aggregations: percentiles, filters: ["assessment.name = 'score'"] },
    ],
    ['unknown metric', { ...count, metric_name: 'span_count' }],
    ['unsupported aggregation', { metric_name: 'latency', aggregations: [{ aggregation_type: 'SUM' }] }],
    ['unsupported dimension', { ...count, dimensions: ['span_name'] }],
    ['buckets without a range', { ...count, time_interval_seconds: 60 }],
    ['a comparator other than =', { ...count, filters: ["trace.status != 'OK'"] }],
    ['no view type', { ...count, view_type: undefined }],
  ];

  it.each(requests)(
    '%s',
    async (_name, request) => {
      const ask = (server: 'cairn' | 'mlflow', url: string) => queryMetrics(url, { experiment_ids: [ids[server]], view_type: 'TRACES', ...request });
      const [fromCairn, fromMlflow] = await Promise.all([ask('cairn', cairn.url), ask('mlflow', mlflow.url)]);
      expect(fromCairn).toEqual(fromMlflow);
    },
    60_000,
  );

  it('is not vacuous: the counts, tokens and assessment values are those logged', async () => {
    const answer = await queryMetrics(cairn.url, {
      experiment_ids: [ids.cairn],
      view_type: 'TRACES',
      ...count,
      ...range,
      time_interval_seconds: 3600,
      dimensions: ['trace_status'],
    });
    const hour = (h: number) => new Date(base + h * HOUR).toISOString().replace('.000Z', '+00:00');
    expect(answer.body['data_points']).toEqual([
      { metric_name: 'trace_count', dimensions: { time_bucket: hour(0), trace_status: 'OK' }, values: { COUNT: 2 } },
      { metric_name: 'trace_count', dimensions: { time_bucket: hour(1), trace_status: 'ERROR' }, values: { COUNT: 1 } },
      { metric_name: 'trace_count', dimensions: { time_bucket: hour(1), trace_status: 'OK' }, values: { COUNT: 1 } },
      { metric_name: 'trace_count', dimensions: { time_bucket: hour(2), trace_status: 'OK' }, values: { COUNT: 1 } },
    ]);
    const tokens = await queryMetrics(cairn.url, {
      experiment_ids: [ids.cairn],
      view_type: 'TRACES',
      metric_name: 'total_tokens',
      aggregations: [{ aggregation_type: 'SUM' }, { aggregation_type: 'MAX' }],
      dimensions: ['trace_name'],
    });
    expect(tokens.body['data_points']).toEqual([
      { metric_name: 'total_tokens', dimensions: { trace_name: 'chat' }, values: { SUM: 60, MAX: 30 } },
      { metric_name: 'total_tokens', dimensions: { trace_name: 'rag' }, values: { SUM: 100, MAX: 100 } },
    ]);
    const quality = await queryMetrics(cairn.url, {
      experiment_ids: [ids.cairn],
      view_type: 'ASSESSMENTS',
      metric_name: 'assessment_value',
      aggregations: [{ aggregation_type: 'AVG' }],
      dimensions: ['assessment_name'],
    });
    // helpful: true, "no", true, false, "Yes" → 3 of 5; score: 0.5, 4, 3, 1, 2.5; the expectation "Paris" has no numeric value.
    expect(quality.body['data_points']).toEqual([
      { metric_name: 'assessment_value', dimensions: { assessment_name: 'helpful' }, values: { AVG: 0.6 } },
      { metric_name: 'assessment_value', dimensions: { assessment_name: 'score' }, values: { AVG: 2.2 } },
    ]);
  });

  it('answers span metrics with 501 NOT_IMPLEMENTED: the spans are in the artifact store', async () => {
    const answer = await queryMetrics(cairn.url, {
      experiment_ids: [ids.cairn],
      view_type: 'SPANS',
      metric_name: 'span_count',
      aggregations: [{ aggregation_type: 'COUNT' }],
      dimensions: ['span_name', 'span_status'],
    });
    expect(answer.status).toBe(501);
    expect(answer.body['error_code']).toBe('NOT_IMPLEMENTED');
  });

  it('random wrong input: never a 5xx other than the SPANS 501, always a JSON object', async () => {
    const values: unknown[] = [
      null,
      0,
      -1,
      1.5,
      2 ** 63,
      1e300,
      '',
      'x',
      'a\u0000b',
      'NaN',
      '9'.repeat(30),
      true,
      [],
      [1],
      ['x'],
      {},
      { a: 1 },
      'x'.repeat(70_000),
    ];
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = () => values[Math.floor(random() * values.length)];
    const maybe = <T>(good: T) => (random() < 0.85 ? good : pick());
    const filters = [
      "trace.status = 'OK'",
      "trace.tag.`a b` = 'x'",
      'trace.status',
      "span.name = 'x'",
      "assessment.type = 'feedback'",
      "trace.metadata.k = 'v' AND 1",
      '`',
    ];
    const bad: string[] = [];
    let answered = 0;
    for (let i = 0; i < 120; i++) {
      const body = {
        experiment_ids: maybe([random() < 0.5 ? ids.cairn : pick()]),
        view_type: maybe(random() < 0.7 ? 'TRACES' : ['ASSESSMENTS', 'SPANS', 1, 3, 7][Math.floor(random() * 5)]),
        // A coherent metric and aggregation most of the time, so that some queries reach the SQL.
        ...(random() < 0.7
          ? { metric_name: 'latency', aggregations: [{ aggregation_type: 'PERCENTILE', percentile_value: maybe(50) }] }
          : {
              metric_name: maybe(['trace_count', 'latency', 'assessment_value', 'constructor'][Math.floor(random() * 4)]),
              aggregations: maybe([{ aggregation_type: maybe(['COUNT', 'AVG', 'PERCENTILE', 4][Math.floor(random() * 4)]), percentile_value: pick() }]),
            }),
        dimensions: maybe(random() < 0.7 ? ['trace_name'] : [['trace_status', 'assessment_value', '__proto__'][Math.floor(random() * 3)]]),
        filters: maybe(random() < 0.5 ? [] : [filters[Math.floor(random() * filters.length)]]),
        time_interval_seconds: maybe(3600),
        start_time_ms: maybe(base),
        end_time_ms: maybe(base + 4 * HOUR),
        max_results: maybe(10),
        page_token: maybe('x'),
      };
      const sent = JSON.stringify(body);
      const response = await fetch(`${cairn.url}/api/3.0/mlflow/traces/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: sent,
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
      const spans = response.status === 501 && (parsed as { error_code?: string } | undefined)?.error_code === 'NOT_IMPLEMENTED';
      if (response.status === 200) answered++;
      if ((response.status >= 500 && !spans) || !isObject) bad.push(`${sent.slice(0, 300)} -> ${response.status} ${text.slice(0, 200)}`);
    }
    expect(bad).toEqual([]);
    // Not only refusals: some of the mixes are valid queries that reach the SQL.
    expect(answered).toBeGreaterThan(2);
  }, 120_000);
});
