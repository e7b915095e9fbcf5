import { startServer, type StartedServer } from '@cairn/testing';

// Issue 20 (tracing) under issue 18's access rules: a trace is read and written under its
// experiment's permission, its info through the trace routes and its spans (traces.json) through
// the artifact routes. A user without READ on the experiment reads neither.

const ADMIN_PASSWORD = 'traces-admin-password';
const PASSWORD = 'traces-user-password';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ADMIN = basic('admin', ADMIN_PASSWORD);
const READER = basic('reader', PASSWORD);
const STRANGER = basic('stranger', PASSWORD);
const TRACE_ID = 'tr-5e1f0000000000000000000000000001';

describe('traces under their experiment’s permission (CAIRN_AUTH=basic)', () => {
  let server: StartedServer;
  let experimentId: string;

  const call = async (auth: string, method: string, route: string, body?: unknown) => {
    const response = await fetch(`${server.url}${route}`, {
      method,
      headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return response.status;
  };
  const asAdmin = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${server.url}${route}`, {
      method,
      headers: { authorization: ADMIN, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    if (response.status !== 200) throw new Error(`${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const spans = `/api/2.0/mlflow-artifacts/artifacts/${'{experiment}'}/traces/${TRACE_ID}/artifacts/traces.json`;

  beforeAll(async () => {
    server = await startServer({ env: { CAIRN_AUTH: 'basic', CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    for (const username of ['reader', 'stranger']) await asAdmin('POST', '/api/2.0/mlflow/users/create', { username, password: PASSWORD });
    experimentId = String((await asAdmin('POST', '/api/2.0/mlflow/experiments/create', { name: 'traced-secret' }))['experiment_id']);
    await asAdmin('POST', '/api/2.0/mlflow/experiments/permissions/create', { experiment_id: experimentId, username: 'reader', permission: 'READ' });
    await asAdmin('POST', '/api/3.0/mlflow/traces', {
      trace: {
        trace_info: {
          trace_id: TRACE_ID,
          trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } },
          request_time: '2026-03-01T00:00:00Z',
          state: 'OK',
        },
      },
    });
    const upload = await fetch(`${server.url}${spans.replace('{experiment}', experimentId)}`, {
      method: 'PUT',
      headers: { authorization: ADMIN },
      body: '{"spans": []}',
    });
    expect(upload.status).toBe(200);
  }, 180_000);

  afterAll(() => server?.stop(), 60_000);

  const reads = () =>
    [
      ['GET', `/api/3.0/mlflow/traces/${TRACE_ID}`, undefined],
      ['GET', `/api/3.0/mlflow/traces/batchGet?trace_ids=${TRACE_ID}`, undefined],
      ['POST', '/ajax-api/3.0/mlflow/traces/batchGetInfos', { trace_ids: [TRACE_ID] }],
      ['POST', '/api/3.0/mlflow/traces/search', { locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } }] }],
      ['GET', spans.replace('{experiment}', experimentId), undefined],
      [
        'POST',
        '/ajax-api/3.0/mlflow/traces/metrics',
        { experiment_ids: [experimentId], view_type: 'TRACES', metric_name: 'trace_count', aggregations: [{ aggregation_type: 'COUNT' }] },
      ],
    ] as const;
  const writes = () =>
    [
      ['PATCH', `/api/2.0/mlflow/traces/${TRACE_ID}/tags`, { key: 'k', value: 'v' }],
      ['PATCH', `/api/3.0/mlflow/traces/${TRACE_ID}/tags`, { key: 'k', value: 'v' }],
      ['POST', `/api/3.0/mlflow/traces/${TRACE_ID}/assessments`, { assessment: { assessment_name: 'a', feedback: { value: true } } }],
      ['POST', '/api/2.0/mlflow/traces/delete-traces', { experiment_id: experimentId, request_ids: [TRACE_ID] }],
      [
        'POST',
        '/api/3.0/mlflow/traces',
        {
          trace: {
            trace_info: {
              trace_id: 'tr-5e1f0000000000000000000000000002',
              trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } },
              request_time: '2026-03-01T00:00:00Z',
            },
          },
        },
      ],
    ] as const;

  it('a user without READ on the experiment can neither read its traces nor their spans, nor write them', async () => {
    for (const [method, route, body] of [...reads(), ...writes()])
      expect({ route, status: await call(STRANGER, method, route, body) }).toEqual({ route, status: 403 });
  });

  it('a READ user reads the traces and their spans but cannot write them', async () => {
    for (const [method, route, body] of reads()) expect({ route, status: await call(READER, method, route, body) }).toEqual({ route, status: 200 });
    for (const [method, route, body] of writes()) expect({ route, status: await call(READER, method, route, body) }).toEqual({ route, status: 403 });
  });

  it('batchGetInfos answers the READ user the trace infos asked for', async () => {
    const response = await fetch(`${server.url}/ajax-api/3.0/mlflow/traces/batchGetInfos`, {
      method: 'POST',
      headers: { authorization: READER, 'content-type': 'application/json' },
      body: JSON.stringify({ trace_ids: [TRACE_ID, 'tr-unknown'] }),
    });
    const body = (await response.json()) as { trace_infos: Array<{ trace_id: string }> };
    expect(body.trace_infos.map((t) => t.trace_id)).toEqual([TRACE_ID]);
  });

  it('get-trace-artifact hands the UI the spans the client uploaded', async () => {
    const response = await fetch(`${server.url}/ajax-api/3.0/mlflow/get-trace-artifact?request_id=${TRACE_ID}`, { headers: { authorization: READER } });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"spans": []}');
  });

  it('without credentials nothing is answered', async () => {
    const response = await fetch(`${server.url}/api/3.0/mlflow/traces/${TRACE_ID}`);
    expect(response.status).toBe(401);
  });
});
