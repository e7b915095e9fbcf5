import type { EventMetadata, ReadScope } from '@cairn/contracts';
import { EventStore } from '@cairn/eventing';
import { Database } from '@cairn/platform';
import { createTestDatabase, type TestDatabase } from '@cairn/testing';
import { TraceCommands } from './application/trace-commands';
import { TraceQueries } from './application/trace-queries';
import { TrackingCommands } from './application/tracking-commands';
import type { LoggedTraceInfo } from './domain/trace';
import { traceMetricsQuery, type TraceMetricsRequest } from './domain/trace-metrics';
import { TraceStore } from './infra/trace-store';
import { TrackingStore } from './infra/tracking-store';

const meta: EventMetadata = { actor: 'test', correlationId: null, causationId: null };
const everything: ReadScope = { kind: 'all' };
const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');

describe('QueryTraceMetrics over the trace read model (Postgres)', () => {
  let testDb: TestDatabase;
  let db: Database;
  let queries: TraceQueries;
  let experimentId: string;
  let otherExperimentId: string;

  const trace = (n: number, fields: Partial<LoggedTraceInfo>): LoggedTraceInfo => ({
    traceId: `tr-${String(n).padStart(32, '0')}`,
    requestTime: T0,
    state: 'OK',
    metadata: [],
    tags: [],
    assessments: [],
    ...fields,
  });
  const named = (name: string) => [{ key: 'mlflow.traceName', value: name }];
  const tokens = (total: number) => [
    { key: 'mlflow.trace.tokenUsage', value: JSON.stringify({ input_tokens: total - 1, output_tokens: 1, total_tokens: total }) },
  ];

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: true });
    db = new Database(testDb.url, { max: 5 });
    let now = T0;
    const clock = { now: () => (now += 1000) };
    const store = new TrackingStore(db);
    const traceStore = new TraceStore(db);
    const tracking = new TrackingCommands(db, store, new EventStore(), clock);
    const commands = new TraceCommands(db, traceStore, store, new EventStore(), clock);
    queries = new TraceQueries(traceStore);
    experimentId = await tracking.createExperiment({ name: 'metrics', tags: [] }, meta);
    otherExperimentId = await tracking.createExperiment({ name: 'hidden', tags: [] }, meta);
    // Hour 0: two OK "chat" traces (100 ms, 300 ms) in one session; hour 1: an ERROR "chat" (200 ms)
    // and an OK "rag" (1000 ms) without a duration-less twin; hour 2: an in-progress trace, no duration.
    const logged: [string, LoggedTraceInfo][] = [
      [
        experimentId,
        trace(1, {
          requestTime: T0 + 60_000,
          executionDuration: 100,
          tags: named('chat'),
          metadata: [...tokens(10), { key: 'mlflow.trace.session', value: 's1' }],
        }),
      ],
      [
        experimentId,
        trace(2, {
          requestTime: T0 + 120_000,
          executionDuration: 300,
          tags: named('chat'),
          metadata: [...tokens(30), { key: 'mlflow.trace.session', value: 's1' }],
        }),
      ],
      [experimentId, trace(3, { requestTime: T0 + HOUR + 5, executionDuration: 200, state: 'ERROR', tags: [...named('chat'), { key: 'team', value: 'a' }] })],
      [
        experimentId,
        trace(4, {
          requestTime: T0 + HOUR + 10,
          executionDuration: 1000,
          tags: named('rag'),
          metadata: [{ key: 'mlflow.trace.tokenUsage', value: '{not json' }],
        }),
      ],
      [experimentId, trace(5, { requestTime: T0 + 2 * HOUR, state: 'IN_PROGRESS' })],
      [otherExperimentId, trace(6, { requestTime: T0, executionDuration: 5, tags: named('chat') })],
    ];
    for (const [experiment, info] of logged) await commands.logTrace(experiment, info, meta);
    const assess = (n: number, assessment: Record<string, unknown>) => commands.createAssessment(trace(n, {}).traceId, assessment, meta);
    await assess(1, { assessment_name: 'helpful', feedback: { value: true } });
    await assess(2, { assessment_name: 'helpful', feedback: { value: 'No' } });
    await assess(3, { assessment_name: 'helpful', feedback: { value: true } });
    await assess(1, { assessment_name: 'score', feedback: { value: 0.5 } });
    await assess(2, { assessment_name: 'score', feedback: { value: 4 } });
    await assess(3, { assessment_name: 'expected', expectation: { value: 'Paris' } });
    await assess(4, { assessment_name: 'score', feedback: { value: 1 }, valid: false });
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  const metrics = (request: Partial<TraceMetricsRequest>, experiments = [experimentId], readable: ReadScope = everything) =>
    queries.traceMetrics(
      experiments,
      readable,
      traceMetricsQuery({ viewType: 'TRACES', metricName: 'trace_count', aggregations: [{ type: 'COUNT' }], dimensions: [], filters: [], ...request }),
    );

  it('counts the experiment’s traces, and none of another experiment’s', async () => {
    expect(await metrics({})).toEqual([{ metricName: 'trace_count', dimensions: {}, values: { COUNT: 5 } }]);
    expect(await metrics({}, [experimentId, otherExperimentId])).toEqual([{ metricName: 'trace_count', dimensions: {}, values: { COUNT: 6 } }]);
  });

  it('counts per hour bucket and status, buckets in time order, inside the inclusive range', async () => {
    const points = await metrics({ dimensions: ['trace_status'], timeIntervalSeconds: 3600, startTimeMs: T0, endTimeMs: T0 + HOUR + 5 });
    expect(points).toEqual([
      { metricName: 'trace_count', dimensions: { time_bucket: '2026-03-01T00:00:00+00:00', trace_status: 'OK' }, values: { COUNT: 2 } },
      { metricName: 'trace_count', dimensions: { time_bucket: '2026-03-01T01:00:00+00:00', trace_status: 'ERROR' }, values: { COUNT: 1 } },
    ]);
  });

  it('aggregates latency per trace name, leaving out traces without a duration', async () => {
    const points = await metrics({
      metricName: 'latency',
      aggregations: [{ type: 'AVG' }, { type: 'MIN' }, { type: 'MAX' }, { type: 'PERCENTILE', percentile: 50 }, { type: 'PERCENTILE', percentile: 90 }],
      dimensions: ['trace_name'],
    });
    expect(points).toEqual([
      { metricName: 'latency', dimensions: { trace_name: 'chat' }, values: { AVG: 200, MIN: 100, MAX: 300, 'P50.0': 200, 'P90.0': 280 } },
      { metricName: 'latency', dimensions: { trace_name: 'rag' }, values: { AVG: 1000, MIN: 1000, MAX: 1000, 'P50.0': 1000, 'P90.0': 1000 } },
    ]);
  });

  it('sums token usage from the traces’ metadata, skipping a malformed value instead of failing', async () => {
    expect(await metrics({ metricName: 'total_tokens', aggregations: [{ type: 'SUM' }, { type: 'AVG' }] })).toEqual([
      { metricName: 'total_tokens', dimensions: {}, values: { SUM: 40, AVG: 20 } },
    ]);
  });

  it('counts distinct sessions', async () => {
    expect(await metrics({ metricName: 'session_count' })).toEqual([{ metricName: 'session_count', dimensions: {}, values: { COUNT: 1 } }]);
  });

  it('applies status, tag and trace-name filters together', async () => {
    expect(await metrics({ filters: ["trace.tag.mlflow.traceName = 'chat'", "trace.status = 'OK'"] })).toEqual([
      { metricName: 'trace_count', dimensions: {}, values: { COUNT: 2 } },
    ]);
    expect(await metrics({ filters: ["trace.tag.team = 'a'"] })).toEqual([{ metricName: 'trace_count', dimensions: {}, values: { COUNT: 1 } }]);
  });

  it('leaves out a group with no value at all, as MLflow does (no latency in range)', async () => {
    expect(await metrics({ metricName: 'latency', aggregations: [{ type: 'AVG' }], startTimeMs: T0 + 2 * HOUR, endTimeMs: T0 + 3 * HOUR })).toEqual([]);
  });

  it('counts only experiments the caller may read', async () => {
    const onlyOther: ReadScope = { kind: 'only', ids: [otherExperimentId] };
    expect(await metrics({}, [experimentId, otherExperimentId], onlyOther)).toEqual([{ metricName: 'trace_count', dimensions: {}, values: { COUNT: 1 } }]);
  });

  it('stops at max_results groups', async () => {
    expect(await metrics({ dimensions: ['trace_name'], maxResults: 1 })).toEqual([
      { metricName: 'trace_count', dimensions: { trace_name: 'chat' }, values: { COUNT: 3 } },
    ]);
  });

  const assessments = (request: Partial<TraceMetricsRequest>) => metrics({ viewType: 'ASSESSMENTS', metricName: 'assessment_count', ...request });

  it('counts valid assessments per name and value, values printed as MLflow stores them', async () => {
    expect(await assessments({ dimensions: ['assessment_name', 'assessment_value'] })).toEqual([
      { metricName: 'assessment_count', dimensions: { assessment_name: 'expected', assessment_value: '"Paris"' }, values: { COUNT: 1 } },
      { metricName: 'assessment_count', dimensions: { assessment_name: 'helpful', assessment_value: '"No"' }, values: { COUNT: 1 } },
      { metricName: 'assessment_count', dimensions: { assessment_name: 'helpful', assessment_value: 'true' }, values: { COUNT: 2 } },
      { metricName: 'assessment_count', dimensions: { assessment_name: 'score', assessment_value: '0.5' }, values: { COUNT: 1 } },
      { metricName: 'assessment_count', dimensions: { assessment_name: 'score', assessment_value: '4.0' }, values: { COUNT: 1 } },
    ]);
  });

  it('averages assessment values per name and hour of their trace (true and "yes" are 1, "no" is 0)', async () => {
    expect(
      await assessments({
        metricName: 'assessment_value',
        aggregations: [{ type: 'AVG' }],
        dimensions: ['assessment_name'],
        timeIntervalSeconds: 3600,
        startTimeMs: T0,
        endTimeMs: T0 + 3 * HOUR,
      }),
    ).toEqual([
      { metricName: 'assessment_value', dimensions: { time_bucket: '2026-03-01T00:00:00+00:00', assessment_name: 'helpful' }, values: { AVG: 0.5 } },
      { metricName: 'assessment_value', dimensions: { time_bucket: '2026-03-01T00:00:00+00:00', assessment_name: 'score' }, values: { AVG: 2.25 } },
      { metricName: 'assessment_value', dimensions: { time_bucket: '2026-03-01T01:00:00+00:00', assessment_name: 'helpful' }, values: { AVG: 1 } },
    ]);
  });

  it('filters assessments by type and name, and by their trace', async () => {
    expect(await assessments({ filters: ["assessment.type = 'expectation'"] })).toEqual([
      { metricName: 'assessment_count', dimensions: {}, values: { COUNT: 1 } },
    ]);
    expect(await assessments({ filters: ["assessment.name = 'helpful'", "trace.status = 'OK'"] })).toEqual([
      { metricName: 'assessment_count', dimensions: {}, values: { COUNT: 2 } },
    ]);
  });
});
