import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { CairnClient } from '@cairn/sdk';
import {
  createTestDatabase,
  ensureBuilt,
  patchedSeedScenario,
  removeTestBucket,
  renderChartIngress,
  runMigrateJob,
  runMlflowClient,
  startIngressNginx,
  startPrivateKafka,
  startServer,
  testEndpoints,
  waitFor,
  type CairnApp,
  type IngressNginx,
  type PrivateKafka,
  type PythonResult,
  type RenderedIngress,
  type StartedServer,
  type TestDatabase,
} from '@cairn/testing';

// The distributed topology as the Helm chart deploys it, behind one URL: the migration Job, then
// the four services as separate processes (tracking-service twice), one Postgres, a Kafka that wants
// TLS and SCRAM, MinIO as the artifact store, CAIRN_AUTH=basic — and in front a real nginx
// configured from the chart's rendered Ingress the way ingress-nginx configures it (its paths,
// backends and annotations). The real mlflow 3.x client and the SDK only know that one URL. Then one
// tracking replica is killed under load (nginx moves on to the other, no acknowledged write is
// lost), and Kafka goes away for a while (every service stays ready, writes succeed, their events
// arrive once it is back).
const ADMIN = { username: 'admin', password: 'ingress-admin-password' };
const USER = { username: 'ingress-user', password: 'ingress-user-password' };
const RELEASE = 'cairn';
const basic = ({ username, password }: { username: string; password: string }) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
const outcome = (result: PythonResult) => ({ code: result.code, tail: result.stdout.slice(-400), stderr: result.code === 0 ? '' : result.stderr.slice(-3000) });

describe('the four services behind nginx configured from the chart’s Ingress', () => {
  const bucket = `ingress-${randomBytes(4).toString('hex')}`;
  let kafka: PrivateKafka;
  let database: TestDatabase;
  let ingress: RenderedIngress;
  let services: Array<{ app: CairnApp; server: StartedServer }> = [];
  let nginx: IngressNginx;

  beforeAll(async () => {
    ensureBuilt();
    // `localhost`: an Ingress host must be a DNS name, and it resolves to the loopback nginx listens on.
    ingress = renderChartIngress(RELEASE, { 'ingress.host': 'localhost', 'auth.admin.existingSecret': 'a', 'webhooks.existingSecret': 'w' });
    [kafka, database] = await Promise.all([startPrivateKafka({ security: 'sasl-ssl' }), createTestDatabase({ migrated: false })]);
    const s3 = testEndpoints.s3();
    const env = {
      CAIRN_AUTH: 'basic',
      CAIRN_ADMIN_PASSWORD: ADMIN.password,
      CAIRN_KAFKA_BROKERS: kafka.brokers,
      CAIRN_KAFKA_TLS: 'true',
      CAIRN_KAFKA_TLS_CA_FILE: kafka.caFile ?? '',
      CAIRN_KAFKA_SASL_MECHANISM: 'scram-sha-256',
      CAIRN_KAFKA_SASL_USERNAME: kafka.user.username,
      CAIRN_KAFKA_SASL_PASSWORD: kafka.user.password,
      CAIRN_KAFKA_TOPIC_PREFIX: `${bucket}.`,
      CAIRN_RELAY_INTERVAL_MS: '100',
      CAIRN_ARTIFACT_ROOT: `s3://${bucket}/artifacts`,
      CAIRN_S3_ENDPOINT: s3.endpoint,
      CAIRN_S3_ACCESS_KEY: s3.accessKey,
      CAIRN_S3_SECRET_KEY: s3.secretKey,
    };
    // As the chart deploys: the migration Job (schema and topics) first, then services that do neither.
    const job = await runMigrateJob({ ...env, CAIRN_DATABASE_URL: database.url });
    expect(job).toEqual({ code: 0, output: expect.stringContaining('Kafka topics declared') });
    const serviceEnv = { ...env, CAIRN_MIGRATE_ON_START: 'false', CAIRN_KAFKA_CREATE_TOPICS: 'false' };
    const apps: CairnApp[] = ['tracking-service', 'tracking-service', 'artifact-service', 'registry-service', 'webhook-dispatcher'];
    const started = await Promise.allSettled(
      apps.map((app) => startServer({ app, database, env: serviceEnv, timeoutMs: 150_000 }).then((server) => ({ app, server }))),
    );
    services = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;

    const endpoints: Record<string, string[]> = {};
    for (const { app, server } of services) (endpoints[`${RELEASE}-${app}`] ??= []).push(new URL(server.url).host);
    nginx = await startIngressNginx(ingress, endpoints);

    const created = await fetch(`${nginx.url}/api/2.0/mlflow/users/create`, {
      method: 'POST',
      headers: { authorization: basic(ADMIN), 'content-type': 'application/json' },
      body: JSON.stringify(USER),
    });
    expect(created.status).toBe(200);
  }, 240_000);

  afterAll(async () => {
    await nginx?.stop();
    await Promise.allSettled(services.map(({ server }) => server.stop()));
    await kafka?.destroy();
    await database?.drop();
    await removeTestBucket(bucket).catch(() => undefined);
  }, 90_000);

  /** How many `runs/log-batch` requests a replica answered, from its own /metrics (inside the cluster). */
  const logBatchesServed = async (server: StartedServer) => {
    const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: basic(ADMIN) } })).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith('cairn_http_request_duration_seconds_count{') && line.includes('route="/api/2.0/mlflow/runs/log-batch"'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  };

  const viaIngress = (route: string, init: RequestInit = {}) =>
    fetch(`${nginx.url}${route}`, { ...init, headers: { authorization: basic(USER), 'content-type': 'application/json', ...init.headers } });

  it('serves the API through the one URL and keeps health and metrics inside the cluster (404, the default backend)', async () => {
    const search = await viaIngress('/api/2.0/mlflow/experiments/search', { method: 'POST', body: JSON.stringify({ max_results: 10 }) });
    expect(search.status).toBe(200);
    expect((await viaIngress('/api/2.0/mlflow/experiments/search', { method: 'POST', headers: { authorization: '' }, body: '{}' })).status).toBe(401);
    for (const internal of ['/health/ready', '/metrics']) expect([internal, (await viaIngress(internal)).status]).toEqual([internal, 404]);
    // Another Host than the rule's is the controller's default backend's.
    const otherHost = await fetch(nginx.url.replace('localhost', '127.0.0.1') + '/api/2.0/mlflow/experiments/search', {
      method: 'POST',
      headers: { authorization: basic(USER) },
      body: '{}',
    });
    expect(otherHost.status).toBe(404);
  });

  it('runs the seed scenario with the mlflow 3.x client as a user (runs, artifacts, the registry flow, aliases)', async () => {
    const result = await runMlflowClient(
      3,
      patchedSeedScenario({ cloudpickle: true, authenticated: true }),
      [],
      { MLFLOW_TRACKING_URI: nginx.url, MLFLOW_TRACKING_USERNAME: USER.username, MLFLOW_TRACKING_PASSWORD: USER.password, SCENARIO_SUFFIX: 'ingress' },
      300_000,
    );
    // The whole object, so a failure shows the client's traceback.
    expect(outcome(result)).toEqual({ code: 0, tail: expect.stringContaining('SEED SCENARIO OK'), stderr: '' });
  }, 300_000);

  it('logs a 50 MiB artifact with the mlflow client (above ingress-nginx’s 1 MB default) and downloads it back byte-identical', async () => {
    const result = await runMlflowClient(
      3,
      path.join(__dirname, '..', 'e2e', 'large_artifact.py'),
      ['50'],
      { MLFLOW_TRACKING_URI: nginx.url, MLFLOW_TRACKING_USERNAME: USER.username, MLFLOW_TRACKING_PASSWORD: USER.password },
      180_000,
    );
    expect(outcome(result)).toEqual({ code: 0, tail: expect.stringContaining('LARGE ARTIFACT'), stderr: '' });
    const line = result.stdout.split('\n').find((l) => l.startsWith('LARGE ARTIFACT '));
    const report = JSON.parse(line?.slice('LARGE ARTIFACT '.length) ?? '{}') as {
      uploaded_sha256: string;
      downloaded_sha256: string;
      size: number;
      listed: unknown;
    };
    expect(report).toMatchObject({ size: 50 * 1024 * 1024, listed: { 'checkpoints/weights.bin': 50 * 1024 * 1024 } });
    expect(report.downloaded_sha256).toBe(report.uploaded_sha256);
  }, 180_000);

  it('the SDK’s alias long-poll is held through nginx and answers as soon as the alias moves', async () => {
    const client = new CairnClient({ trackingUri: nginx.url, headers: { authorization: basic(USER) } });
    const name = 'churn-gbm-ingress';
    const champion = await client.getModelVersionByAlias(name, 'champion');
    const other = champion.version === '1' ? '2' : '1';
    const first = await client.resolveAlias(name, 'champion');
    expect(first).toMatchObject({ changed: true, resolution: { version: champion.version } });

    // Unchanged: a short wait ends with the server's own 304, not a proxy error.
    expect(await client.resolveAlias(name, 'champion', { etag: first.etag, waitSeconds: 1 })).toMatchObject({ changed: false });

    const watching = client.resolveAlias(name, 'champion', { etag: first.etag, waitSeconds: 30 });
    const held = await Promise.race([watching.then(() => 'answered'), new Promise((resolve) => setTimeout(resolve, 1_000, 'held'))]);
    expect(held).toBe('held');
    const movedAt = Date.now();
    await client.setRegisteredModelAlias(name, 'champion', other);
    const moved = await watching;
    expect(moved).toMatchObject({ changed: true, resolution: { version: other } });
    expect(Date.now() - movedAt).toBeLessThan(5_000);
  }, 60_000);

  it('SIGKILL of one tracking replica under load: writes go on through the other, and every acknowledged one is kept and reaches registry-service', async () => {
    const client = new CairnClient({ trackingUri: nginx.url, headers: { authorization: basic(USER) } });
    const experimentId = await client.createExperiment(`under-load-${bucket}`);
    const runIds = await Promise.all([0, 1, 2, 3, 4, 5].map(async (i) => (await client.createRun({ experimentId, runName: `writer-${i}` })).info.run_id));
    // Steps each writer got a 2xx for; a write the killed replica dropped is retried by the SDK (502
    // from nginx is transient), so it counts only once it is acknowledged.
    const acknowledged = new Map<string, number>(runIds.map((id) => [id, 0]));
    const total = () => [...acknowledged.values()].reduce((a, b) => a + b, 0);
    let writing = true;
    const load = runIds.map(async (runId) => {
      for (let step = 0; writing; step++) {
        await client.logBatch(runId, { metrics: [{ key: 'loss', value: 1 / (step + 1), timestamp: 1_000 + step, step }] });
        acknowledged.set(runId, step + 1);
      }
    });
    try {
      await waitFor(() => (runIds.every((id) => (acknowledged.get(id) ?? 0) >= 5) ? true : undefined), {
        timeoutMs: 30_000,
        message: 'every writer to be under way',
      });
      // nginx balances over both replicas, so the one killed was serving this load.
      const replicas = services.filter(({ app }) => app === 'tracking-service').map(({ server }) => server);
      for (const replica of replicas) expect(await logBatchesServed(replica)).toBeGreaterThan(0);
      await replicas[0]?.kill();
      const atKill = total();
      await waitFor(() => (total() >= atKill + 60 ? true : undefined), { timeoutMs: 60_000, message: 'writes to go on after the kill' });
    } finally {
      writing = false;
      // A write that failed for good (retries exhausted) rejects here.
      await Promise.all(load);
    }

    for (const runId of runIds) {
      const steps = new Set((await client.getMetricHistory(runId, 'loss')).map((m) => Number(m.step)));
      const count = acknowledged.get(runId) ?? 0;
      expect({ runId, steps: steps.size, last: Math.max(...steps) }).toEqual({ runId, steps: count, last: count - 1 });
    }
    // Each write's event left through the outbox of the replica that committed it, the killed one's included.
    for (const runId of runIds) {
      const last = (acknowledged.get(runId) ?? 0) - 1;
      await waitFor(
        async () => {
          const response = await viaIngress(`/api/2.0/cairn/registry/run-summaries/get?run_id=${runId}`, { headers: { authorization: basic(ADMIN) } });
          if (response.status !== 200) return undefined;
          const { run_summary } = (await response.json()) as { run_summary: { metrics: Record<string, { step: number }> } };
          return run_summary.metrics['loss']?.step === last ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200, message: `registry-service to see step ${last} of ${runId}` },
      );
    }
  }, 180_000);

  it('Kafka stopped: every service stays ready, writes through nginx succeed, and their events arrive once it is back', async () => {
    const alive = services.filter(({ server }) => server.process.exitCode === null && server.process.signalCode === null);
    await kafka.stop();
    const readiness: string[] = [];
    for (const { app, server } of alive) {
      await waitFor(
        async () => {
          const response = await fetch(`${server.url}/health/ready`);
          if (response.status !== 200) readiness.push(`${app}: ${response.status}`);
          const body = (await response.json()) as { details: { event_bus: { reachable?: boolean } } };
          return body.details.event_bus.reachable === false ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250, message: `${app} to report Kafka unreachable` },
      );
    }
    expect(readiness).toEqual([]);

    const client = new CairnClient({ trackingUri: nginx.url, headers: { authorization: basic(USER) } });
    const experimentId = await client.createExperiment(`kafka-away-${bucket}`);
    const runId = (await client.createRun({ experimentId, runName: 'while Kafka is away' })).info.run_id;
    await client.logBatch(runId, { params: [{ key: 'phase', value: 'kafka away' }], metrics: [{ key: 'loss', value: 0.5, timestamp: 1, step: 0 }] });

    await kafka.start();
    await waitFor(
      async () => {
        const response = await viaIngress(`/api/2.0/cairn/registry/run-summaries/get?run_id=${runId}`, { headers: { authorization: basic(ADMIN) } });
        if (response.status !== 200) return undefined;
        const { run_summary } = (await response.json()) as { run_summary: { params: Record<string, string>; metrics: Record<string, unknown> } };
        return run_summary.params['phase'] === 'kafka away' && run_summary.metrics['loss'] !== undefined ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, message: 'registry-service to apply the events written while Kafka was away' },
    );
  }, 180_000);
});
