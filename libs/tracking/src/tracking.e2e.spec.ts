import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { runMlflowClient, startMlflowServer, startServer, testEndpoints, waitFor, type StartedMlflowServer, type StartedServer } from '@cairn/testing';

const scenario = path.join(__dirname, '..', 'e2e', 'tracking_scenario.py');
const fuzz = path.join(__dirname, '..', 'e2e', 'fuzz_no_5xx.py');

describe('tracking API against a started tracking-service', () => {
  let server: StartedServer;
  let api: string;

  beforeAll(async () => {
    // A service process runs on an external Postgres and Kafka, never on embedded ones.
    server = await startServer({
      app: 'tracking-service',
      env: { CAIRN_KAFKA_BROKERS: testEndpoints.kafkaBrokers(), CAIRN_KAFKA_TOPIC_PREFIX: `e2e-tracking-${randomBytes(4).toString('hex')}.` },
    });
    api = `${server.url}/api/2.0/mlflow`;
  }, 120_000);

  afterAll(() => server?.stop());

  const post = (route: string, body: unknown) =>
    fetch(`${api}/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it.each([3, 2] as const)(
    'the real mlflow %i.x client: tracking scenario',
    async (major) => {
      const result = await runMlflowClient(major, scenario, [], { MLFLOW_TRACKING_URI: server.url });
      if (result.code !== 0) throw new Error(`scenario failed (mlflow ${major}.x):\n${result.stdout}\n${result.stderr}`);
      expect(result.stdout).toContain('TRACKING SCENARIO OK');
    },
    300_000,
  );

  it('4000 random wrong requests to every endpoint: never a 5xx, always a JSON object', async () => {
    const result = await runMlflowClient(3, fuzz, [], { MLFLOW_TRACKING_URI: server.url });
    if (result.code !== 0) throw new Error(`fuzz found 5xx answers:\n${result.stdout}\n${result.stderr}`);
    expect(result.stdout).toContain('FUZZ OK');
  }, 300_000);

  it('/metrics reports the outbox relay lag, and it drains to zero once writes are published', async () => {
    const created = (await (await post('runs/create', { experiment_id: '0' })).json()) as { run: { info: { run_id: string } } };
    expect((await post('runs/log-metric', { run_id: created.run.info.run_id, key: 'm', value: 1, timestamp: 1, step: 0 })).status).toBe(200);
    const gauge = (text: string, name: string) => Number(new RegExp(`^${name}\\{[^}]*context="tracking"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]);
    const drained = await waitFor(
      async () => {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        return gauge(text, 'cairn_outbox_backlog_events') === 0 ? text : undefined;
      },
      { message: 'the tracking outbox drained' },
    );
    expect(gauge(drained, 'cairn_outbox_oldest_event_age_seconds')).toBe(0);
  });

  it("runs/history: the run's changes newest first, paged, metric batches optional; bad tokens and unknown runs answered in MLflow's shape", async () => {
    const created = (await (await post('runs/create', { experiment_id: '0', run_name: 'audited' })).json()) as { run: { info: { run_id: string } } };
    const runId = created.run.info.run_id;
    expect((await post('runs/log-batch', { run_id: runId, params: [{ key: 'lr', value: '0.05' }] })).status).toBe(200);
    for (const step of [0, 1])
      expect((await post('runs/log-metric', { run_id: runId, key: 'loss', value: 1 - step / 2, timestamp: 1, step })).status).toBe(200);
    expect((await post('runs/set-tag', { run_id: runId, key: 'team', value: 'churn' })).status).toBe(200);
    expect((await post('runs/update', { run_id: runId, status: 'FINISHED', end_time: 2 })).status).toBe(200);

    type History = { run_id: string; changes: Array<{ sequence: number; type: string; summary: string; time: string }>; next_page_token?: string };
    const history = async (query: string) => {
      const response = await fetch(`${server.url}/api/2.0/cairn/runs/history?run_id=${runId}${query}`);
      return { status: response.status, body: (await response.json()) as History & { error_code?: string } };
    };
    const all = await history('');
    expect(all.status).toBe(200);
    expect(all.body.changes.map((c) => c.summary)).toEqual([
      'Status → FINISHED',
      '1 tag set: team',
      '1 metric point: loss',
      '1 metric point: loss',
      '1 param: lr=0.05',
      expect.stringMatching(/^Run created as audited \(RUNNING\)$/),
    ]);
    expect(all.body.changes.map((c) => c.sequence)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(all.body.next_page_token).toBeUndefined();

    // Pages of two walk the same changes, and a page token resumes where the last page ended.
    const walked: string[] = [];
    let token: string | undefined;
    do {
      const page = await history(`&max_results=2${token ? `&page_token=${token}` : ''}`);
      walked.push(...page.body.changes.map((c) => c.summary));
      token = page.body.next_page_token;
    } while (token !== undefined);
    expect(walked).toEqual(all.body.changes.map((c) => c.summary));

    const withoutMetrics = await history('&include_metrics=false');
    expect(withoutMetrics.body.changes.map((c) => c.sequence)).toEqual([6, 5, 2, 1]);

    for (const bad of ['&page_token=../1', '&page_token=0', '&max_results=0', '&max_results=100000']) {
      const refused = await history(bad);
      expect({ status: refused.status, code: refused.body.error_code }).toEqual({ status: 400, code: 'INVALID_PARAMETER_VALUE' });
    }
    const unknown = await fetch(`${server.url}/api/2.0/cairn/runs/history?run_id=${'f'.repeat(32)}`);
    expect({ status: unknown.status, code: ((await unknown.json()) as { error_code: string }).error_code }).toEqual({
      status: 404,
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
  });

  it('wire shapes: int64 as numbers, end_time omitted while running, empty lists omitted, NaN as a string', async () => {
    const created = (await (await post('runs/create', { experiment_id: '0', start_time: 1700000000000 })).json()) as {
      run: { info: Record<string, unknown>; data: Record<string, unknown> };
    };
    const info = created.run.info;
    expect(info).toMatchObject({ experiment_id: '0', status: 'RUNNING', start_time: 1700000000000, lifecycle_stage: 'active' });
    expect(info.run_id).toMatch(/^[0-9a-f]{32}$/);
    expect(info.run_uuid).toBe(info.run_id);
    expect(info).not.toHaveProperty('end_time');
    expect(created.run.data).not.toHaveProperty('metrics');
    expect(created.run.data).not.toHaveProperty('params');
    expect((await post('runs/log-metric', { run_id: info.run_id, key: 'm', value: 'NaN', timestamp: '5' })).status).toBe(200);
    const got = (await (await fetch(`${api}/runs/get?run_id=${String(info.run_id)}`)).json()) as { run: { data: { metrics: unknown[] } } };
    expect(got.run.data.metrics).toEqual([{ key: 'm', value: 'NaN', timestamp: 5, step: 0 }]);
  });

  it('client mistakes are 4xx with {error_code, message}, on both prefixes', async () => {
    const cases: [Promise<Response>, number, string][] = [
      [post('runs/log-batch', '{"run_id": '), 400, 'BAD_REQUEST'],
      [post('runs/log-batch', { metrics: [] }), 400, 'INVALID_PARAMETER_VALUE'],
      [fetch(`${api}/runs/get?run_id=${'0'.repeat(32)}`), 404, 'RESOURCE_DOES_NOT_EXIST'],
      [fetch(`${server.url}/ajax-api/2.0/mlflow/experiments/get-by-name?experiment_name=nope`), 404, 'RESOURCE_DOES_NOT_EXIST'],
      [post('experiments/create', { name: 'x', artifact_location: 'file:///etc' }), 400, 'INVALID_PARAMETER_VALUE'],
      [post('runs/search', { experiment_ids: ['0'], filter: 'metrics.a >' }), 400, 'INVALID_PARAMETER_VALUE'],
      [fetch(`${api}/metrics/get-history-bulk-interval?metric_key=m`), 400, 'INVALID_PARAMETER_VALUE'],
    ];
    for (const [response, status, code] of cases) {
      const r = await response;
      expect({ status: r.status, code: ((await r.json()) as { error_code: string }).error_code }).toEqual({ status, code });
    }
  });
});

/**
 * The scenario's expectations are MLflow's, not only Cairn's: the same script (minus the checks where
 * Cairn is deliberately stricter) passes against the real `mlflow server` of the pinned 3.x package.
 */
describe('the tracking scenario against the reference mlflow server', () => {
  let reference: StartedMlflowServer | undefined;

  beforeAll(async () => {
    reference = await startMlflowServer();
  }, 180_000);

  // Waits for the server to exit (its shutdown takes seconds), so Jest is not left waiting on it.
  afterAll(() => reference?.stop(), 30_000);

  it.each([3, 2] as const)(
    'mlflow %i.x client',
    async (major) => {
      const result = await runMlflowClient(major, scenario, [], { MLFLOW_TRACKING_URI: reference?.url ?? '', SCENARIO_AGAINST_MLFLOW: '1' });
      if (result.code !== 0) throw new Error(`scenario failed against mlflow server (client ${major}.x):\n${result.stdout}\n${result.stderr}`);
      expect(result.stdout).toContain('TRACKING SCENARIO OK');
    },
    300_000,
  );
});
