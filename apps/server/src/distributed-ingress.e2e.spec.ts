import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CairnClient } from '@cairn/sdk';
import {
  ensureBuilt,
  patchedSeedScenario,
  removeTestBucket,
  renderChartIngress,
  runMigrateJob,
  runMlflowClient,
  startIngressNginx,
  startPrivateKafka,
  startPrivatePostgres,
  startServer,
  testEndpoints,
  waitFor,
  type CairnApp,
  type IngressNginx,
  type PrivateKafka,
  type PrivatePostgres,
  type PythonResult,
  type RenderedIngress,
  type StartedServer,
} from '@cairn/testing';
import { Webhook } from 'standardwebhooks';

// The distributed topology as the Helm chart deploys it, behind one URL: the migration Job, then
// the four services as separate processes (tracking-service twice), one Postgres (this file's own,
// since it is restarted), a Kafka that wants TLS and SCRAM, MinIO as the artifact store, CAIRN_AUTH=basic — and in front a real nginx
// configured from the chart's rendered Ingress the way ingress-nginx configures it (its paths,
// backends and annotations). The real mlflow 3.x client and the SDK only know that one URL. Then one
// tracking replica is killed under load (nginx moves on to the other, no acknowledged write is
// lost); Kafka goes away for a full minute (every service stays ready, writes succeed, an alias
// long-poll is held through nginx for its whole 60 s, and the events — a signed webhook to a CI
// receiver among them — arrive once it is back); Postgres restarts (the services recover without
// being restarted); and every write acknowledged on the way is counted back at the end.
const ADMIN = { username: 'admin', password: 'ingress-admin-password' };
const USER = { username: 'ingress-user', password: 'ingress-user-password' };
const RELEASE = 'cairn';
const basic = ({ username, password }: { username: string; password: string }) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
const outcome = (result: PythonResult) => ({ code: result.code, tail: result.stdout.slice(-400), stderr: result.code === 0 ? '' : result.stderr.slice(-3000) });

describe('the four services behind nginx configured from the chart’s Ingress', () => {
  const bucket = `ingress-${randomBytes(4).toString('hex')}`;
  let kafka: PrivateKafka;
  let database: PrivatePostgres;
  let receiver: CiReceiver;
  let ingress: RenderedIngress;
  let services: Array<{ app: CairnApp; server: StartedServer }> = [];
  let nginx: IngressNginx;

  beforeAll(async () => {
    ensureBuilt();
    // `localhost`: an Ingress host must be a DNS name, and it resolves to the loopback nginx listens on.
    ingress = renderChartIngress(RELEASE, { 'ingress.host': 'localhost', 'auth.admin.existingSecret': 'a', 'webhooks.existingSecret': 'w' });
    [kafka, database, receiver] = await Promise.all([startPrivateKafka({ security: 'sasl-ssl' }), startPrivatePostgres(), startCiReceiver()]);
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
      // The CI receiver is on this machine's loopback (in a cluster: an allow-listed in-cluster host).
      CAIRN_WEBHOOK_ALLOW_HTTP: 'true',
      CAIRN_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      CAIRN_WEBHOOK_SECRET_KEY: randomBytes(32).toString('hex'),
      CAIRN_WEBHOOK_RETRY_BASE_MS: '200',
      CAIRN_WEBHOOK_RETRY_MAX_DELAY_MS: '1000',
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
    await database?.destroy();
    await receiver?.stop();
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

  /** Every metric write acknowledged through nginx in this file: run → steps 0…n-1 (`loss`), counted back at the end. */
  const acknowledged = new Map<string, number>();
  const runsOf = (runIds: string[]) => runIds.map((id) => acknowledged.get(id) ?? 0);

  /**
   * One writer per run, each logging the next step of `loss` as soon as (or `pauseMs` after) the
   * last was acknowledged; only a 2xx counts. `stop` waits for the writes in flight, and rejects if
   * one failed for good (the SDK's retries exhausted).
   */
  const startWriters = (client: CairnClient, runIds: string[], pauseMs = 0) => {
    let writing = true;
    for (const id of runIds) acknowledged.set(id, acknowledged.get(id) ?? 0);
    const load = runIds.map(async (runId) => {
      while (writing) {
        const step = acknowledged.get(runId) ?? 0;
        await client.logBatch(runId, { metrics: [{ key: 'loss', value: 1 / (step + 1), timestamp: 1_000 + step, step }] });
        acknowledged.set(runId, step + 1);
        if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    });
    return {
      total: () => runsOf(runIds).reduce((a, b) => a + b, 0),
      stop: async () => {
        writing = false;
        await Promise.all(load);
      },
    };
  };

  const createRuns = async (client: CairnClient, name: string, count: number) => {
    const experimentId = await client.createExperiment(`${name}-${bucket}`);
    return Promise.all(Array.from({ length: count }, async (_, i) => (await client.createRun({ experimentId, runName: `${name}-${i}` })).info.run_id));
  };

  /** The step of `loss` registry-service's run summary holds (it learns it from tracking's events over Kafka). */
  const registryStep = async (runId: string) => {
    const response = await viaIngress(`/api/2.0/cairn/registry/run-summaries/get?run_id=${runId}`, { headers: { authorization: basic(ADMIN) } });
    if (response.status !== 200) return undefined;
    const { run_summary } = (await response.json()) as { run_summary: { metrics: Record<string, { step: number }> } };
    return run_summary.metrics['loss']?.step;
  };

  const aliveServices = () => services.filter(({ server }) => server.process.exitCode === null && server.process.signalCode === null);

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

  it('serves the web UI and MLflow’s GraphQL through the one URL (the tracking-service), over what every context keeps', async () => {
    // A browser's first request carries no credentials: the page and its bundle load before sign-in.
    const page = await fetch(`${nginx.url}/`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const html = await page.text();
    const bundle = /src="\.?\/?(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(bundle).toBeDefined();
    const script = await fetch(`${nginx.url}/${bundle ?? ''}`);
    expect([script.status, script.headers.get('content-type'), (await script.text()).length > 10_000]).toEqual([200, 'text/javascript; charset=utf-8', true]);

    // One query across the three contexts: the champion's run (tracking), the versions made from it
    // (registry's read model) and its files (artifacts' index), all answered by the tracking-service.
    const alias = (await (await viaIngress('/api/2.0/mlflow/registered-models/alias?name=churn-gbm-ingress&alias=champion')).json()) as {
      model_version: { run_id: string; version: string };
    };
    const query = `query V($run: String) {
      mlflowGetRun(input: {runId: $run}) { run { info { runId runName } modelVersions { name version } } }
      mlflowListArtifacts(input: {runId: $run}) { files { path } }
    }`;
    for (const route of ['/graphql', '/ajax-api/graphql']) {
      const answer = await viaIngress(route, { method: 'POST', body: JSON.stringify({ query, variables: { run: alias.model_version.run_id } }) });
      expect(answer.status).toBe(200);
      const { data, errors } = (await answer.json()) as {
        data?: {
          mlflowGetRun: { run: { info: { runId: string; runName: string }; modelVersions: Array<{ name: string; version: string }> } };
          mlflowListArtifacts: { files: Array<{ path: string }> };
        };
        errors?: unknown;
      };
      // MLflow's shape: `errors` is null when the query had none.
      expect(errors ?? null).toBeNull();
      expect(data?.mlflowGetRun.run.info).toEqual({ runId: alias.model_version.run_id, runName: expect.stringMatching(/^gbm-lr/) });
      expect(data?.mlflowGetRun.run.modelVersions).toContainEqual({ name: 'churn-gbm-ingress', version: alias.model_version.version });
      expect(data?.mlflowListArtifacts.files.map((f) => f.path)).toContain('feature_importance.txt');
    }
  });

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
    const runIds = await createRuns(client, 'under-load', 6);
    // A write the killed replica dropped is retried by the SDK (502 from nginx is transient), so it
    // counts only once it is acknowledged.
    const writers = startWriters(client, runIds);
    try {
      await waitFor(() => (runsOf(runIds).every((n) => n >= 5) ? true : undefined), { timeoutMs: 30_000, message: 'every writer to be under way' });
      // nginx balances over both replicas, so the one killed was serving this load.
      const replicas = services.filter(({ app }) => app === 'tracking-service').map(({ server }) => server);
      for (const replica of replicas) expect(await logBatchesServed(replica)).toBeGreaterThan(0);
      await replicas[0]?.kill();
      const atKill = writers.total();
      await waitFor(() => (writers.total() >= atKill + 60 ? true : undefined), { timeoutMs: 60_000, message: 'writes to go on after the kill' });
    } finally {
      await writers.stop();
    }

    for (const runId of runIds) {
      const steps = new Set((await client.getMetricHistory(runId, 'loss')).map((m) => Number(m.step)));
      const count = acknowledged.get(runId) ?? 0;
      expect({ runId, steps: steps.size, last: Math.max(...steps) }).toEqual({ runId, steps: count, last: count - 1 });
    }
    // Each write's event left through the outbox of the replica that committed it, the killed one's included.
    for (const runId of runIds) {
      const last = (acknowledged.get(runId) ?? 0) - 1;
      await waitFor(async () => ((await registryStep(runId)) === last ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 200,
        message: `registry-service to see step ${last} of ${runId}`,
      });
    }
  }, 180_000);

  it('Kafka stopped for a full minute: every service stays ready, writes and an alias long-poll go through nginx, and the events (a signed webhook among them) arrive once it is back', async () => {
    const client = new CairnClient({ trackingUri: nginx.url, headers: { authorization: basic(USER) } });
    const admin = new CairnClient({ trackingUri: nginx.url, headers: { authorization: basic(ADMIN) } });
    const name = 'churn-gbm-ingress';
    // CI subscribes through the one URL, with a signing secret of its own.
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    await admin.createWebhook({
      name: 'ci-deploy',
      url: `${receiver.url}/deploy`,
      events: [{ entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' }],
      secret,
    });
    const runIds = await createRuns(client, 'kafka-away', 3);
    const champion = await client.resolveAlias(name, 'champion');

    await kafka.stop();
    const stoppedAt = Date.now();
    const alive = aliveServices();
    const unready: string[] = [];
    for (const { app, server } of alive) {
      await waitFor(
        async () => {
          const response = await fetch(`${server.url}/health/ready`);
          if (response.status !== 200) unready.push(`${app}: ${response.status}`);
          const body = (await response.json()) as { details: { event_bus: { reachable?: boolean } } };
          return body.details.event_bus.reachable === false ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250, message: `${app} to report Kafka unreachable` },
      );
    }

    // Through the minute: steady writes, and a long-poll held for the server's whole 60 s cap —
    // past ingress-nginx's default 60 s read timeout, so it ends with the server's 304 only if the
    // chart's Ingress annotations raised it.
    const writers = startWriters(client, runIds, 100);
    const polled = (async () => {
      const started = Date.now();
      const answer = await client.resolveAlias(name, 'champion', { etag: champion.etag, waitSeconds: 60 });
      return { changed: answer.changed, heldMs: Date.now() - started };
    })();
    // A model version moved while Kafka is away: its webhook leaves once the event can.
    const version = champion.resolution?.version ?? '1';
    await client.setRegisteredModelAlias(name, 'ci-candidate', version);
    let held: { changed: boolean; heldMs: number };
    try {
      held = await polled;
      await waitFor(() => (Date.now() - stoppedAt >= 60_000 ? true : undefined), { timeoutMs: 60_000, message: 'a full minute without Kafka' });
      for (const { app, server } of alive) {
        const response = await fetch(`${server.url}/health/ready`);
        if (response.status !== 200) unready.push(`${app}: ${response.status} after a minute`);
      }
    } finally {
      await writers.stop();
    }
    expect(unready).toEqual([]);
    expect(held.changed).toBe(false);
    expect(held.heldMs).toBeGreaterThanOrEqual(59_000);
    expect(receiver.deliveries).toEqual([]);

    await kafka.start();
    for (const runId of runIds) {
      const last = (acknowledged.get(runId) ?? 0) - 1;
      expect(last).toBeGreaterThan(100);
      await waitFor(async () => ((await registryStep(runId)) === last ? true : undefined), {
        timeoutMs: 90_000,
        intervalMs: 250,
        message: `registry-service to apply step ${last} of ${runId}, written while Kafka was away`,
      });
    }
    await waitFor(() => (receiver.deliveries.length > 0 ? true : undefined), { timeoutMs: 60_000, message: 'the CI receiver to get the alias move' });
    const [delivery] = receiver.deliveries;
    if (delivery === undefined) throw new Error('no delivery');
    // The CI side checks the Standard Webhooks signature with the secret it registered.
    expect(new Webhook(secret).verify(delivery.body, delivery.headers)).toMatchObject({
      entity: 'model_version_alias',
      action: 'created',
      data: { name, alias: 'ci-candidate', version },
    });
    expect(delivery.path).toBe('/deploy');
  }, 300_000);

  it('Postgres restarted under load: the services recover without being restarted, and writes through nginx succeed again', async () => {
    // A patient client: a write the restart refused is retried (log-batch is idempotent) until the services are back.
    const client = new CairnClient({
      trackingUri: nginx.url,
      headers: { authorization: basic(USER) },
      retry: { maxRetries: 60, baseDelayMs: 250, maxDelayMs: 1_000 },
    });
    const alive = aliveServices();
    const pids = alive.map(({ server }) => server.process.pid);
    const runIds = await createRuns(client, 'postgres-restart', 3);
    const writers = startWriters(client, runIds, 50);
    try {
      await waitFor(() => (runsOf(runIds).every((n) => n >= 5) ? true : undefined), { timeoutMs: 30_000, message: 'every writer to be under way' });
      await database.stop();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await database.start();
      const atRestart = writers.total();
      await waitFor(() => (writers.total() >= atRestart + 30 ? true : undefined), { timeoutMs: 60_000, message: 'writes to succeed after the restart' });
    } finally {
      await writers.stop();
    }

    for (const { app, server } of alive) {
      await waitFor(async () => ((await fetch(`${server.url}/health/ready`)).status === 200 ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 250,
        message: `${app} to be ready again`,
      });
    }
    expect(aliveServices().map(({ server }) => server.process.pid)).toEqual(pids);
    // A create (not retried once sent) and a fresh experiment, on the reconnected pools.
    expect((await createRuns(client, 'after-restart', 1)).length).toBe(1);

    // The alias notifications' LISTEN session reconnected: a long-poll answers as soon as the alias moves.
    const name = 'churn-gbm-ingress';
    const before = await client.resolveAlias(name, 'champion');
    const other = before.resolution?.version === '1' ? '2' : '1';
    const watching = client.resolveAlias(name, 'champion', { etag: before.etag, waitSeconds: 30 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const movedAt = Date.now();
    await client.setRegisteredModelAlias(name, 'champion', other);
    expect(await watching).toMatchObject({ changed: true, resolution: { version: other } });
    expect(Date.now() - movedAt).toBeLessThan(5_000);
  }, 180_000);

  it('nothing acknowledged was lost: every write through nginx, across the kill and both outages, is readable and reached registry-service', async () => {
    const client = new CairnClient({ trackingUri: nginx.url, headers: { authorization: basic(USER) } });
    const runs = [...acknowledged];
    expect(runs.length).toBe(12);
    for (const [runId, count] of runs) {
      const steps = new Set((await client.getMetricHistory(runId, 'loss')).map((m) => Number(m.step)));
      expect({ runId, steps: steps.size, last: Math.max(...steps) }).toEqual({ runId, steps: count, last: count - 1 });
      await waitFor(async () => ((await registryStep(runId)) === count - 1 ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 200,
        message: `registry-service to see step ${count - 1} of ${runId}`,
      });
    }
  }, 120_000);
});

interface CiReceiver {
  url: string;
  /** Every request, in arrival order, with the raw body (what a signature is computed over). */
  deliveries: Array<{ path: string; headers: Record<string, string>; body: string }>;
  stop(): Promise<void>;
}

/** A CI system's webhook endpoint: a real HTTP server that records what it is sent and answers 202. */
async function startCiReceiver(): Promise<CiReceiver> {
  const deliveries: CiReceiver['deliveries'] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers = Object.fromEntries(Object.entries(request.headers).map(([key, value]) => [key, String(value)]));
      deliveries.push({ path: request.url ?? '/', headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deliveries,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
