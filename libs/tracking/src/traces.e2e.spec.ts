import path from 'node:path';
import { runMlflowClient, startMlflowServer, startServer, type StartedMlflowServer, type StartedServer } from '@cairn/testing';

const scenario = path.join(__dirname, '..', 'e2e', 'traces_scenario.py');

/** Runs the tracing scenario with the real 3.x client; answers what the user read back (ids and times left out). */
async function traceScenario(url: string): Promise<Record<string, unknown>> {
  const result = await runMlflowClient(3, scenario, [], { MLFLOW_TRACKING_URI: url });
  if (result.code !== 0 || !result.stdout.includes('TRACES SCENARIO OK')) {
    throw new Error(`tracing scenario failed against ${url}:\n${result.stdout}\n${result.stderr}`);
  }
  const line = result.stdout.split('\n').find((l) => l.startsWith('TRACES SUMMARY '));
  return JSON.parse(line?.slice('TRACES SUMMARY '.length) ?? '{}') as Record<string, unknown>;
}

/**
 * MLflow 3 tracing against Cairn and against the pinned `mlflow server`, with the same script:
 * `@mlflow.trace` nested spans, get/search (tags, status, time, run, metadata, order), tags,
 * assessments and deletes must read back the same on both. Cairn keeps the spans in the artifact
 * store (the client uploads `traces.json`), MLflow in its database: the user must not see a difference.
 */
describe('MLflow 3 tracing: Cairn answers as mlflow server does', () => {
  let server: StartedServer;
  let mlflowServer: StartedMlflowServer;
  let reference = '';

  beforeAll(async () => {
    [server, mlflowServer] = await Promise.all([startServer({ app: 'server' }), startMlflowServer()]);
    reference = mlflowServer.url;
  }, 180_000);

  afterAll(async () => {
    await Promise.all([server?.stop(), mlflowServer?.stop()]);
  }, 30_000);

  it('@mlflow.trace nested spans, search_traces, get_trace, tags, assessments and deletes read back alike', async () => {
    const [cairn, mlflow] = await Promise.all([traceScenario(server.url), traceScenario(reference)]);
    expect(cairn).toEqual(mlflow);
    // Not vacuous: the spans the decorated functions made are there, nested, with their attributes.
    expect(cairn['spans']).toEqual([
      expect.objectContaining({ name: 'answer', parent: null, attributes: { model: 'tiny', temperature: 0.5 }, inputs: { question: 'weather?' } }),
      expect.objectContaining({ name: 'retrieve', parent: 'answer', type: 'RETRIEVER', attributes: { top_k: 3 }, outputs: ['doc-1', 'doc-2'] }),
      expect.objectContaining({ name: 'lookup', parent: 'answer', type: 'TOOL', outputs: { city: 'Paris', temperature: 21 } }),
    ]);
  }, 600_000);

  it('a trace is logged once with its info and the server chooses where its spans go (under the experiment)', async () => {
    const api = `${server.url}/api`;
    const json = async (response: Response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> });
    const created = await json(
      await fetch(`${api}/2.0/mlflow/experiments/create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'raw-traces' }),
      }),
    );
    const experimentId = created.body['experiment_id'] as string;
    const start = (tags: Record<string, string>) =>
      fetch(`${api}/3.0/mlflow/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          trace: {
            trace_info: {
              trace_id: 'tr-0123456789abcdef0123456789abcdef',
              trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } },
              request_time: '2026-01-02T03:04:05.678Z',
              execution_duration: '1.5s',
              state: 'OK',
              tags,
            },
          },
        }),
      }).then(json);
    // A caller cannot point the spans elsewhere: the artifact location is the server's.
    const first = await start({ 'mlflow.artifactLocation': 's3://elsewhere/x', k: 'v' });
    expect(first.status).toBe(200);
    const info = (first.body['trace'] as { trace_info: Record<string, unknown> }).trace_info;
    expect(info['request_time']).toBe('2026-01-02T03:04:05.678Z');
    expect(info['execution_duration']).toBe('1.500s');
    expect(info['tags']).toEqual({
      k: 'v',
      'mlflow.artifactLocation': `mlflow-artifacts:/${experimentId}/traces/tr-0123456789abcdef0123456789abcdef/artifacts`,
    });
    // The client retries StartTraceV3 on timeouts: the same trace again is merged, not refused.
    expect((await start({ k: 'w' })).status).toBe(200);
    const set = await fetch(`${api}/2.0/mlflow/traces/tr-0123456789abcdef0123456789abcdef/tags`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'mlflow.artifactLocation', value: 's3://elsewhere/y' }),
    }).then(json);
    expect(set.status).toBe(400);
    const read = await fetch(`${api}/3.0/mlflow/traces/tr-0123456789abcdef0123456789abcdef`).then(json);
    expect((read.body['trace'] as { trace_info: { tags: Record<string, string> } }).trace_info.tags['k']).toBe('w');
    // The OTLP export answers as mlflow server over a store without span logging, which the client recognises.
    const otlp = await fetch(`${server.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([10, 0]),
    });
    expect(otlp.status).toBe(501);
    expect(((await otlp.json()) as { message: string }).message).toContain('REST OTLP span logging is not supported');
  }, 60_000);

  it('random wrong input to every trace route: never a 5xx, always a JSON object', async () => {
    const values: unknown[] = [
      null,
      0,
      -1,
      1.5,
      2 ** 63,
      '',
      'x',
      'a\u0000b',
      '../x',
      '1'.repeat(300),
      true,
      [],
      [1],
      {},
      { a: 1 },
      'x'.repeat(70_000),
      '\ud800',
      '9'.repeat(30),
    ];
    const pick = () => values[Math.floor(random() * values.length)];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const location = () => ({ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: random() < 0.5 ? '0' : pick() } });
    const traceInfo = () => ({
      trace_id: random() < 0.3 ? 'tr-fuzz' : pick(),
      trace_location: random() < 0.7 ? location() : pick(),
      request_time: random() < 0.5 ? '2026-01-01T00:00:00Z' : pick(),
      execution_duration: pick(),
      state: pick(),
      trace_metadata: random() < 0.5 ? { k: pick() } : pick(),
      tags: random() < 0.5 ? { [String(pick())]: pick() } : pick(),
      assessments: random() < 0.5 ? [{ assessment_name: pick(), feedback: { value: pick() } }] : pick(),
    });
    const routes: Array<[string, string, () => unknown]> = [
      ['POST', '/api/3.0/mlflow/traces', () => ({ trace: random() < 0.8 ? { trace_info: traceInfo() } : pick() })],
      [
        'POST',
        '/api/3.0/mlflow/traces/search',
        () => ({ locations: random() < 0.7 ? [location()] : pick(), filter: pick(), max_results: pick(), order_by: pick(), page_token: pick() }),
      ],
      ['PATCH', '/api/2.0/mlflow/traces/tr-fuzz/tags', () => ({ key: pick(), value: pick() })],
      ['DELETE', '/api/2.0/mlflow/traces/tr-fuzz/tags', () => ({ key: pick() })],
      [
        'POST',
        '/api/2.0/mlflow/traces/delete-traces',
        () => ({ experiment_id: pick(), max_timestamp_millis: pick(), max_traces: pick(), request_ids: pick() }),
      ],
      [
        'POST',
        '/api/3.0/mlflow/traces/tr-fuzz/assessments',
        () => ({ assessment: random() < 0.7 ? { assessment_name: pick(), expectation: { value: pick() }, create_time: pick() } : pick() }),
      ],
      ['PATCH', '/api/3.0/mlflow/traces/tr-fuzz/assessments/a-x', () => ({ assessment: pick(), update_mask: pick() })],
    ];
    const bad: string[] = [];
    for (const [method, route, body] of routes) {
      for (let i = 0; i < 40; i++) {
        const sent = JSON.stringify(body());
        const response = await fetch(`${server.url}${route}`, { method, headers: { 'content-type': 'application/json' }, body: sent });
        const text = await response.text();
        let isObject = false;
        try {
          const parsed: unknown = JSON.parse(text);
          isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
        } catch {
          // not JSON
        }
        if (response.status >= 500 || !isObject) bad.push(`${method} ${route} ${sent.slice(0, 200)} -> ${response.status} ${text.slice(0, 200)}`);
      }
    }
    for (const query of ['trace_ids=', 'trace_ids=%00', `trace_ids=${'x'.repeat(3000)}`, 'nothing=1']) {
      const response = await fetch(`${server.url}/api/3.0/mlflow/traces/batchGet?${query}`);
      if (response.status >= 500) bad.push(`batchGet ${query.slice(0, 50)} -> ${response.status}`);
    }
    for (const id of ['%00', 'x'.repeat(3000), '..', 'tr-%C3%28']) {
      for (const [method, route, body] of [
        ['GET', `/api/3.0/mlflow/traces/${id}`, undefined],
        ['PATCH', `/api/2.0/mlflow/traces/${id}/tags`, { key: 'k', value: 'v' }],
        ['GET', `/api/3.0/mlflow/traces/${id}/assessments/${id}`, undefined],
        ['DELETE', `/api/3.0/mlflow/traces/tr-fuzz/assessments/${id}`, undefined],
        ['GET', `/ajax-api/2.0/mlflow/get-trace-artifact?request_id=${id}`, undefined],
      ] as const) {
        const response = await fetch(`${server.url}${route}`, {
          method,
          ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
        });
        if (response.status >= 500) bad.push(`${method} ${route.slice(0, 80)} -> ${response.status}`);
      }
    }
    expect(bad).toEqual([]);
  }, 300_000);
});
