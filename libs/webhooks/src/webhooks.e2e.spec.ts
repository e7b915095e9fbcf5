import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createTestDatabase, runMlflowClient, startServer, testEndpoints, waitFor, type StartedServer, type TestDatabase } from '@cairn/testing';
import { Webhook } from 'standardwebhooks';
import { TestReceiver } from './testing/receiver';

const scenario = path.join(__dirname, '..', 'e2e', 'webhooks_scenario.py');
const WEBHOOK_ENV = {
  CAIRN_WEBHOOK_ALLOW_HTTP: 'true',
  CAIRN_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  CAIRN_WEBHOOK_RETRY_BASE_MS: '200',
  CAIRN_WEBHOOK_RETRY_MAX_DELAY_MS: '1000',
};

const json = async (response: Response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> });
const send = (url: string, method: string, body?: unknown) =>
  fetch(url, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }).then(json);

describe('webhooks against a started all-in-one server', () => {
  let server: StartedServer;
  let receiver: TestReceiver;

  beforeAll(async () => {
    server = await startServer({ app: 'server', env: WEBHOOK_ENV });
    receiver = new TestReceiver();
    await receiver.start();
  }, 120_000);

  afterAll(async () => {
    await receiver?.stop();
    await server?.stop();
  });

  it('the MLflow 3.x client creates, tests, updates and deletes webhooks; deliveries verify with Python hmac', async () => {
    const result = await runMlflowClient(3, scenario, [], { MLFLOW_TRACKING_URI: server.url });
    expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr.slice(-3000) }).toEqual({ code: 0, stderr: '' });
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { deliveries: number };
    expect(summary.deliveries).toBe(6);
  }, 180_000);

  it('tells CI when a version enters a stage, keeps a delivery log, and never returns the secret', async () => {
    const api = `${server.url}/api/2.0/mlflow`;
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const created = await send(`${api}/webhooks`, 'POST', {
      name: 'deploy',
      url: `${receiver.url}/deploy`,
      events: [{ entity: 'MODEL_VERSION', action: 'STAGE_TRANSITIONED' }],
      secret,
    });
    expect(created.status).toBe(200);
    const webhook = created.body['webhook'] as Record<string, unknown>;
    expect(JSON.stringify(created.body)).not.toContain(secret);
    const webhookId = webhook['webhook_id'] as string;

    const name = `stage-model-${Date.now()}`;
    await send(`${api}/registered-models/create`, 'POST', { name });
    await send(`${api}/model-versions/create`, 'POST', { name, source: `runs:/${'c'.repeat(32)}/model` });
    receiver.respond = (_, index) => (index === 0 ? { status: 503, body: 'deploy queue full' } : { status: 202, body: 'queued' });
    await send(`${api}/model-versions/transition-stage`, 'POST', { name, version: '1', stage: 'Production', archive_existing_versions: true });

    await waitFor(() => (receiver.requests.length >= 2 ? true : undefined), { timeoutMs: 15_000, message: 'the stage transition delivery, retried' });
    const [first, second] = receiver.requests;
    if (!first || !second) throw new Error('missing requests');
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    const headers = Object.fromEntries(Object.entries(second.headers).map(([k, v]) => [k, String(v)]));
    const payload = new Webhook(secret).verify(second.body, headers);
    expect(payload).toMatchObject({
      entity: 'model_version',
      action: 'stage_transitioned',
      data: { name, version: '1', from_stage: 'None', to_stage: 'Production' },
    });

    const cairn = `${server.url}/api/2.0/cairn/webhooks`;
    const view = await json(await fetch(`${cairn}/get?webhook_id=${webhookId}`));
    expect(view.body['webhook']).toMatchObject({ has_secret: true, event_names: ['model_version.stage_transitioned'], consecutive_failures: 0 });
    expect(JSON.stringify(view.body)).not.toContain(secret);

    const log = await json(await fetch(`${cairn}/deliveries?webhook_id=${webhookId}`));
    const deliveries = log.body['deliveries'] as Array<Record<string, unknown>>;
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ status: 'SUCCEEDED', attempts: 2, delivery_id: first.headers['webhook-id'] });
    const detail = await json(await fetch(`${cairn}/deliveries/get?delivery_id=${deliveries[0]?.['delivery_id'] as string}`));
    expect((detail.body['delivery'] as { attempt_log: unknown[] }).attempt_log).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'RETRY', status_code: 503, response_body: 'deploy queue full' }),
      expect.objectContaining({ attempt: 2, outcome: 'SUCCEEDED', status_code: 202 }),
    ]);

    const redelivered = await send(`${cairn}/deliveries/redeliver`, 'POST', { delivery_id: deliveries[0]?.['delivery_id'] });
    expect(redelivered.body['delivery']).toMatchObject({ redelivery_of: deliveries[0]?.['delivery_id'] });
    await waitFor(() => (receiver.requests.length >= 3 ? true : undefined), { message: 'the manual redelivery' });
  }, 60_000);

  it('answers bad input with MLflow errors', async () => {
    const api = `${server.url}/api/2.0/mlflow/webhooks`;
    const cases: Array<[string, string, unknown, number, string]> = [
      [api, 'POST', { name: 'x', url: 'ftp://ci/', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] }, 400, 'INVALID_PARAMETER_VALUE'],
      [api, 'POST', { name: 'x', url: 'https://ci.example.com', events: [] }, 400, 'INVALID_PARAMETER_VALUE'],
      [api, 'POST', { name: 'x', url: 'https://ci.example.com', events: [{ entity: 'PROMPT', action: 'CREATED' }] }, 400, 'INVALID_PARAMETER_VALUE'],
      [api, 'POST', { name: 'x', url: 'http://10.0.0.8/hook', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] }, 400, 'INVALID_PARAMETER_VALUE'],
      [api, 'POST', { name: 5, url: 'https://ci.example.com', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] }, 400, 'INVALID_PARAMETER_VALUE'],
      [`${api}/0190aaaa-0000-7000-8000-000000000000`, 'GET', undefined, 404, 'RESOURCE_DOES_NOT_EXIST'],
      [`${api}/..%2f..%2fetc`, 'DELETE', undefined, 404, 'RESOURCE_DOES_NOT_EXIST'],
      [`${api}?max_results=0`, 'GET', undefined, 400, 'INVALID_PARAMETER_VALUE'],
      [`${server.url}/api/2.0/cairn/webhooks/deliveries?status=LOST`, 'GET', undefined, 400, 'INVALID_PARAMETER_VALUE'],
      [`${server.url}/api/2.0/cairn/webhooks/deliveries/redeliver`, 'POST', {}, 400, 'INVALID_PARAMETER_VALUE'],
    ];
    for (const [url, method, body, status, code] of cases) {
      const result = await send(url, method, body);
      expect({ url, method, status: result.status, code: result.body['error_code'] }).toEqual({ url, method, status, code });
      expect(typeof result.body['message']).toBe('string');
    }
  });
});

// The dispatcher as its own process (distributed mode over Kafka), killed with SIGKILL in the
// middle of a burst and started again: every event still arrives, under a stable delivery id.
describe('webhook-dispatcher killed and restarted mid-burst', () => {
  let database: TestDatabase;
  let registry: StartedServer;
  let dispatcher: StartedServer;
  let receiver: TestReceiver;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase({ migrated: false });
    env = {
      ...WEBHOOK_ENV,
      CAIRN_KAFKA_BROKERS: testEndpoints.kafkaBrokers(),
      CAIRN_KAFKA_TOPIC_PREFIX: `e2e-wh-${randomBytes(4).toString('hex')}.`,
      CAIRN_RELAY_INTERVAL_MS: '100',
      CAIRN_WEBHOOK_TIMEOUT_MS: '2000',
    };
    [registry, dispatcher] = await Promise.all([
      startServer({ app: 'registry-service', database, env, timeoutMs: 90_000 }),
      startServer({ app: 'webhook-dispatcher', database, env, timeoutMs: 90_000 }),
    ]);
    receiver = new TestReceiver();
    await receiver.start();
  }, 120_000);

  afterAll(async () => {
    await receiver?.stop();
    await Promise.allSettled([registry?.stop(), dispatcher?.stop()]);
    await database?.drop();
  }, 60_000);

  it('delivers all 1,000 events; a receiver deduplicating on the id accepts each exactly once', async () => {
    const created = await send(`${dispatcher.url}/api/2.0/mlflow/webhooks`, 'POST', {
      name: 'burst',
      url: `${receiver.url}/burst`,
      events: [{ entity: 'MODEL_VERSION_TAG', action: 'SET' }],
    });
    expect(created.status).toBe(200);
    const accepted = new Map<string, string>(); // delivery id → event body
    let resent = 0;
    receiver.respond = (request) => {
      const id = String(request.headers['webhook-id']);
      if (accepted.has(id)) {
        resent++;
        expect(accepted.get(id)).toBe(request.body); // a resend is the same delivery, byte for byte
      }
      accepted.set(id, request.body);
      return { status: 200 };
    };

    const api = `${registry.url}/api/2.0/mlflow`;
    const models = Array.from({ length: 10 }, (_, i) => `burst-${Date.now()}-${i}`);
    for (const name of models) {
      expect((await send(`${api}/registered-models/create`, 'POST', { name })).status).toBe(200);
      expect((await send(`${api}/model-versions/create`, 'POST', { name, source: `runs:/${'d'.repeat(32)}/model` })).status).toBe(200);
    }
    let killed = false;
    for (let i = 0; i < 1000; i++) {
      const name = models[i % 10] as string;
      expect((await send(`${api}/model-versions/set-tag`, 'POST', { name, version: '1', key: 'step', value: String(i) })).status).toBe(200);
      if (!killed && accepted.size >= 150) {
        await dispatcher.kill();
        killed = true;
        dispatcher = await startServer({ app: 'webhook-dispatcher', database, env, timeoutMs: 90_000 });
      }
    }
    expect(killed).toBe(true);
    await waitFor(() => (accepted.size >= 1000 ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 200,
      message: `1000 distinct deliveries (have ${accepted.size})`,
    });
    const values = [...accepted.values()].map((body) => Number((JSON.parse(body) as { data: { value: string } }).data.value));
    expect(new Set(values).size).toBe(1000);
    // Only deliveries in flight at the moment of the kill can be sent again (at most the batch size).
    expect(resent).toBeLessThanOrEqual(8);
  }, 300_000);
});
