import { Client } from 'pg';
import { startServer, type StartedServer } from '@cairn/testing';

// Issue 17: no request can hang the server. A started all-in-one server on a deliberately small
// pool: bursts that used to hold every connection while waiting for one more now finish, and a
// request that cannot get a connection is refused with 503 and Retry-After instead of waiting.

const post = async (url: string, body: unknown) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
};

const ok = async (api: string, route: string, body: unknown) => {
  const result = await post(`${api}/${route}`, body);
  expect({ route, status: result.status, body: result.status === 200 ? 'ok' : result.body }).toEqual({ route, status: 200, body: 'ok' });
  return result.body;
};

/** A started all-in-one server on a pool of 5, for the tests of one describe block. */
function smallPoolServer(acquireTimeoutMs: string): { api: () => string; server: () => StartedServer } {
  let server: StartedServer | undefined;
  beforeAll(async () => {
    server = await startServer({ app: 'server', env: { CAIRN_DB_POOL_SIZE: '5', CAIRN_DB_ACQUIRE_TIMEOUT_MS: acquireTimeoutMs } });
  }, 120_000);
  afterAll(() => server?.stop());
  const started = () => {
    if (!server) throw new Error('the server did not start');
    return server;
  };
  return { server: started, api: () => `${started().url}/api/2.0/mlflow` };
}

// A generous acquisition bound: with a promotion that needed a second connection while holding the
// model's lock, the burst would wait it out and answer 503s; every one must answer 200.
describe('a pool of 5, 30 s acquisition bound', () => {
  const { server: started, api: apiOf } = smallPoolServer('30000');

  it('50 concurrent promotions of one model all finish, and a health request made meanwhile answers', async () => {
    const server = started();
    const api = apiOf();
    const { experiment_id } = (await ok(api, 'experiments/create', { name: 'promotion-burst' })) as { experiment_id: string };
    const runOf = async (auc: number) => {
      const { run } = (await ok(api, 'runs/create', { experiment_id, start_time: Date.now() })) as { run: { info: { run_id: string } } };
      await ok(api, 'runs/log-batch', { run_id: run.info.run_id, metrics: [{ key: 'val_auc', value: auc, timestamp: Date.now(), step: 0 }] });
      return run.info.run_id;
    };
    const runs = [await runOf(0.8), await runOf(0.9)];
    await ok(api, 'registered-models/create', { name: 'burst-model' });
    for (const runId of runs) await ok(api, 'model-versions/create', { name: 'burst-model', source: `runs:/${runId}/model`, run_id: runId });
    await ok(api, 'model-versions/transition-stage', { name: 'burst-model', version: '1', stage: 'Production', archive_existing_versions: true });

    const promotions = Array.from({ length: 50 }, () =>
      post(`${server.url}/api/2.0/cairn/registered-models/promote`, {
        name: 'burst-model',
        challenger: '2',
        metric: 'val_auc',
        min_delta: 0,
        direction: 'higher_is_better',
        stage: 'Production',
        archive_existing_versions: true,
      }),
    );
    // Meanwhile the server still answers, database included.
    const health = await fetch(`${server.url}/health/ready`, { signal: AbortSignal.timeout(30_000) });
    expect(health.status).toBe(200);

    const results = await Promise.all(promotions);
    // Each promotion decided: the first promotes, the rest find version 2 already the champion.
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    expect(results.filter((r) => r.body['promoted'] === true).length).toBeGreaterThanOrEqual(1);
    const versions = (await (await fetch(`${api}/model-versions/search?filter=${encodeURIComponent("name='burst-model'")}`)).json()) as {
      model_versions: Array<{ version: string; current_stage: string }>;
    };
    expect(Object.fromEntries(versions.model_versions.map((v) => [v.version, v.current_stage]))).toEqual({ '1': 'Archived', '2': 'Production' });
  }, 120_000);
});

describe('a pool of 5, 2 s acquisition bound', () => {
  const { server: started, api: apiOf } = smallPoolServer('2000');

  it('with every connection held, a request answers 503 TEMPORARILY_UNAVAILABLE with Retry-After within the acquisition timeout', async () => {
    const server = started();
    const api = apiOf();
    const { experiment_id } = (await ok(api, 'experiments/create', { name: 'held-pool' })) as { experiment_id: string };
    const { run } = (await ok(api, 'runs/create', { experiment_id, start_time: Date.now() })) as { run: { info: { run_id: string } } };
    const runId = run.info.run_id;
    // Another session holds the run's row lock: every write to the run waits on it, holding a pooled connection.
    const blocker = new Client({ connectionString: server.databaseUrl });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM tracking.runs WHERE run_uuid = $1 FOR UPDATE', [runId]);
      const writes = Array.from({ length: 5 }, (_, i) => post(`${api}/runs/log-batch`, { run_id: runId, params: [{ key: `p${i}`, value: String(i) }] }));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const started = Date.now();
      const response = await fetch(`${api}/runs/get?run_id=${runId}`, { signal: AbortSignal.timeout(20_000) });
      const elapsed = Date.now() - started;
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(await response.json()).toMatchObject({ error_code: 'TEMPORARILY_UNAVAILABLE' });
      expect(elapsed).toBeLessThan(10_000);
      await blocker.query('ROLLBACK');
      // Released: the held writes go through, and the server serves again.
      for (const write of await Promise.all(writes)) expect(write.status).toBe(200);
      expect((await fetch(`${api}/runs/get?run_id=${runId}`)).status).toBe(200);
    } finally {
      await blocker.end();
    }
  }, 120_000);
});
