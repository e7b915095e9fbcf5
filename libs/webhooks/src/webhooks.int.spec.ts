import { REGISTRY_EVENT_TYPES as E, type EventEnvelope } from '@cairn/contracts';
import { IdempotentConsumer, encodeEnvelope, uuidv7 } from '@cairn/eventing';
import { Database, loadConfig, MetricsRegistry, type CairnConfig } from '@cairn/platform';
import { createTestDatabase, waitFor, type TestDatabase } from '@cairn/testing';
import { Webhook } from 'standardwebhooks';
import { webhookDeliverySubscription } from './application/delivery-recorder';
import { WebhookCommands } from './application/webhook-commands';
import { WebhookDispatcher } from './application/webhook-dispatcher';
import { AddressPolicy } from './domain/address-policy';
import { DeliveryLogRepository } from './infra/delivery-log.repository';
import { sendWebhook } from './infra/http-sender';
import { WebhookEndpointsRepository } from './infra/webhook-endpoints.repository';
import { TestReceiver } from './testing/receiver';

// jest applies one testTimeout to every project; these tests wait on real I/O, so say how long here.
jest.setTimeout(60_000);

const SECRET = `whsec_${Buffer.from('a-32-byte-secret-for-the-tests!!').toString('base64')}`;

describe('webhook deliveries on real Postgres, to a real receiver', () => {
  let testDb: TestDatabase;
  let db: Database;
  let config: CairnConfig;
  let log: DeliveryLogRepository;
  let commands: WebhookCommands;
  let dispatcher: WebhookDispatcher;
  let consumer: IdempotentConsumer;
  let receiver: TestReceiver;
  const versions = new Map<string, number>();

  const configWith = (extra: Record<string, string> = {}) =>
    loadConfig({
      CAIRN_WEBHOOK_ALLOW_HTTP: 'true',
      CAIRN_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      CAIRN_WEBHOOK_RETRY_BASE_MS: '100',
      CAIRN_WEBHOOK_RETRY_MAX_DELAY_MS: '400',
      CAIRN_WEBHOOK_TIMEOUT_MS: '700',
      CAIRN_WEBHOOK_DISABLE_AFTER_FAILURES: '3',
      // Signing secrets sealed at rest: every delivery below signs with a secret opened from the database.
      CAIRN_WEBHOOK_SECRET_KEY: 'ab'.repeat(32),
      ...extra,
    });

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: true });
    db = new Database(testDb.url);
    config = configWith();
    log = new DeliveryLogRepository(db, config);
    commands = new WebhookCommands(new WebhookEndpointsRepository(db, config), log, config);
    dispatcher = new WebhookDispatcher(log, db, config, new MetricsRegistry('test'));
    await dispatcher.onApplicationBootstrap();
    consumer = new IdempotentConsumer(db, webhookDeliverySubscription(log, dispatcher));
  }, 60_000);

  afterAll(async () => {
    await dispatcher?.onApplicationShutdown();
    await db?.close();
    await testDb?.drop();
  });

  beforeEach(async () => {
    receiver = new TestReceiver();
    await receiver.start();
  });

  afterEach(async () => {
    await receiver.stop();
    // Endpoints of one test must not receive the next test's events.
    await db.query('DELETE FROM webhooks.endpoints');
  });

  const registryEvent = (modelId: string, type: string, data: Record<string, unknown>): EventEnvelope => {
    const version = (versions.get(modelId) ?? 0) + 1;
    versions.set(modelId, version);
    return {
      eventId: uuidv7(),
      type,
      context: 'registry',
      aggregateId: modelId,
      aggregateVersion: version,
      occurredAt: new Date().toISOString(),
      actor: 'ana',
      correlationId: null,
      causationId: null,
      data: { modelId, name: `model-${modelId}`, timestamp: Date.now(), ...data },
    };
  };
  const tagSet = (modelId: string, value: string) => registryEvent(modelId, E.modelVersionTagSet, { version: '1', key: 'k', value, previousValue: null });
  const consume = (event: EventEnvelope) => consumer.deliver({ topic: 'cairn.registry.events.v1', value: encodeEnvelope(event) });
  const subscribe = (events = [{ entity: 'MODEL_VERSION_TAG', action: 'SET' }], secret: string | undefined = SECRET) =>
    commands.create({ name: 'ci', url: `${receiver.url}/hook`, events, secret });
  const bodies = () => receiver.requests.map((r) => JSON.parse(r.body) as { entity: string; action: string; data: Record<string, unknown> });

  it('delivers a registry event once, signed so an independent Standard Webhooks verifier accepts it', async () => {
    const webhook = await subscribe([{ entity: 'MODEL_VERSION', action: 'STAGE_TRANSITIONED' }]);
    // The secret is stored sealed, not as given.
    const stored =
      (await db.query<{ secret: string }>('SELECT secret FROM webhooks.endpoints WHERE webhook_id = $1', [webhook.webhookId])).rows[0]?.secret ?? '';
    expect(stored).toMatch(/^cairn-aes256gcm:v1:/);
    expect(stored).not.toContain(SECRET);
    const event = registryEvent('m-stage', E.modelVersionStageTransitioned, {
      version: '4',
      fromStage: 'Staging',
      toStage: 'Production',
      archiveExistingVersions: false,
      archived: [],
    });
    expect(await consume(event)).toBe('applied');
    // The bus redelivers: the inbox makes it a duplicate, and no second delivery is recorded.
    expect(await consume(event)).toBe('duplicate');
    await waitFor(() => receiver.requests.length === 1 || undefined, { message: 'the delivery' });

    const [request] = receiver.requests;
    if (!request) throw new Error('no request');
    expect(JSON.parse(request.body)).toMatchObject({
      entity: 'model_version',
      action: 'stage_transitioned',
      timestamp: event.occurredAt,
      data: { name: 'model-m-stage', version: '4', to_stage: 'Production' },
    });
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
    expect(() => new Webhook(SECRET).verify(request.body, headers)).not.toThrow();
    expect(headers['x-mlflow-delivery-id']).toBe(headers['webhook-id']);
    expect(headers['x-mlflow-signature']).toMatch(/^v1,/);
    // A forged body fails verification.
    expect(() => new Webhook(SECRET).verify(request.body.replace('Production', 'Archived'), headers)).toThrow();
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests).toHaveLength(1);
  });

  it('retries a failing receiver with the same delivery id, and keeps later events of that model behind it', async () => {
    const webhook = await subscribe();
    receiver.respond = (_, index) => (index < 2 ? { status: 503, body: 'busy' } : { status: 200 });
    await consume(tagSet('m-order', 'first'));
    await consume(tagSet('m-order', 'second'));
    await consume(tagSet('m-other', 'unrelated'));

    await waitFor(() => receiver.requests.length >= 5 || undefined, { timeoutMs: 10_000, message: 'all deliveries' });
    await new Promise((r) => setTimeout(r, 300));
    const byModel = (name: string) => receiver.requests.filter((r) => r.body.includes(`model-${name}`));
    const first = byModel('m-order').filter((r) => r.body.includes('"first"'));
    // Two 503s and the success, all under one id; "second" only after "first" was accepted.
    const ids = new Set(first.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    const values = byModel('m-order').map((r) => (JSON.parse(r.body) as { data: { value: string } }).data.value);
    expect(values.indexOf('second')).toBeGreaterThan(values.lastIndexOf('first'));
    expect(byModel('m-other')).not.toHaveLength(0);

    const { deliveries } = await commands.deliveries({ webhookId: webhook.webhookId });
    expect(deliveries.map((d) => d.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const firstDelivery = deliveries.find((d) => d.body.includes('"first"'));
    if (!firstDelivery) throw new Error('missing');
    const { attempts } = await commands.delivery(firstDelivery.deliveryId);
    expect(attempts.map((a) => [a.outcome, a.statusCode])).toEqual(
      expect.arrayContaining([
        ['RETRY', 503],
        ['SUCCEEDED', 200],
      ]),
    );
    expect(attempts.find((a) => a.outcome === 'RETRY')?.responseBody).toBe('busy');
  });

  it('fails a refused delivery at once, and disables an endpoint after too many in a row, with the reason', async () => {
    const webhook = await subscribe();
    receiver.respond = () => ({ status: 401, body: 'bad signature' });
    for (let i = 0; i < 3; i++) await consume(tagSet(`m-refused-${i}`, 'x'));
    const disabled = await waitFor(async () => {
      const w = await commands.get(webhook.webhookId);
      return w.status === 'DISABLED' ? w : undefined;
    });
    expect(disabled.disabledReason).toMatch(/3 deliveries in a row failed.*HTTP 401/);
    expect(receiver.requests).toHaveLength(3); // no retries of a 4xx
    // Events while disabled are not recorded; enabling again resumes.
    await consume(tagSet('m-refused-3', 'x'));
    receiver.respond = () => ({ status: 200 });
    await commands.update(webhook.webhookId, { status: 'ACTIVE' });
    expect((await commands.get(webhook.webhookId)).disabledReason).toBeNull();
    const { deliveries } = await commands.deliveries({ webhookId: webhook.webhookId, status: 'FAILED' });
    expect(deliveries).toHaveLength(3);
    // Manual redelivery of a failed one: same id, now accepted.
    const failed = deliveries[0];
    if (!failed) throw new Error('missing');
    const again = await commands.redeliver(failed.deliveryId);
    expect(again.deliveryId).toBe(failed.deliveryId);
    await waitFor(async () => ((await commands.delivery(failed.deliveryId)).delivery.status === 'SUCCEEDED' ? true : undefined));
    expect(receiver.requests.at(-1)?.headers['webhook-id']).toBe(failed.deliveryId);
    // Redelivering an accepted delivery sends a new one that names the original.
    const copy = await commands.redeliver(failed.deliveryId);
    expect(copy.deliveryId).not.toBe(failed.deliveryId);
    expect(copy.redeliveryOf).toBe(failed.deliveryId);
  });

  it('follows no redirect and gives up on a receiver that does not answer in time', async () => {
    await subscribe();
    const target = new TestReceiver();
    await target.start();
    try {
      receiver.respond = () => ({ status: 302, headers: { location: `${target.url}/elsewhere` } });
      await consume(tagSet('m-redirect', 'x'));
      await waitFor(async () => ((await commands.deliveries({ status: 'FAILED' })).deliveries.length === 1 ? true : undefined));
      expect(target.requests).toHaveLength(0);
    } finally {
      await target.stop();
    }
    receiver.respond = () => 'hang';
    await consume(tagSet('m-hang', 'x'));
    const delivery = await waitFor(async () =>
      (await commands.deliveries({ status: 'PENDING' })).deliveries.find((d) => d.attempts >= 1 && d.lastError !== null),
    );
    expect(delivery.lastError).toMatch(/timed out after 700 ms/);
  });

  it('a delivery claimed by a dispatcher that died is taken over after its lease, under the same id', async () => {
    const webhook = await subscribe();
    await dispatcher.onApplicationShutdown(); // this test drives the dispatchers itself
    try {
      await consume(tagSet('m-crash', 'x'));
      const [claimed] = await log.claim(1, 500); // the "dead" dispatcher: claims, never settles
      if (!claimed) throw new Error('nothing claimed');
      const survivor = new WebhookDispatcher(log, db, config, new MetricsRegistry('survivor'));
      expect(await survivor.dispatchRound()).toBe(0); // leased: not taken while the lease holds
      await new Promise((r) => setTimeout(r, 600));
      expect(await survivor.dispatchRound()).toBe(1);
      expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([claimed.deliveryId]);
      const { delivery, attempts } = await commands.delivery(claimed.deliveryId);
      expect(delivery.status).toBe('SUCCEEDED');
      expect(attempts.map((a) => a.attempt)).toEqual([2]);
      expect(webhook.webhookId).toBe(delivery.webhookId);
    } finally {
      dispatcher = new WebhookDispatcher(log, db, config, new MetricsRegistry('restarted'));
      await dispatcher.onApplicationBootstrap();
      consumer = new IdempotentConsumer(db, webhookDeliverySubscription(log, dispatcher));
    }
  });

  it('a burst of 1,000 events across 10 models: all delivered, in order per model, resent only after a failed attempt', async () => {
    const webhook = await subscribe();
    const seen = new Set<string>();
    let duplicates = 0;
    receiver.respond = (request) => {
      const id = String(request.headers['webhook-id']);
      if (seen.has(id)) duplicates++;
      seen.add(id);
      return { status: 204 };
    };
    for (let i = 0; i < 1000; i++) await consume(tagSet(`burst-${i % 10}`, String(i)));
    await waitFor(() => (seen.size >= 1000 ? true : undefined), { timeoutMs: 50_000, message: '1000 deliveries' });
    // An id arrives twice only when an attempt failed on our side after the receiver had it (a
    // timeout on a loaded machine): at least once, never a resend of an attempt recorded as accepted.
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM webhooks.delivery_attempts a JOIN webhooks.deliveries d USING (delivery_id) WHERE d.webhook_id = $1 AND a.outcome = 'RETRY'`,
      [webhook.webhookId],
    );
    expect(duplicates).toBeLessThanOrEqual(Number(rows[0]?.n ?? 0));
    for (let m = 0; m < 10; m++) {
      const values = bodies()
        .filter((b) => b.data['name'] === `model-burst-${m}`)
        .map((b) => Number(b.data['value']));
      expect(values).toEqual([...values].sort((a, b) => a - b));
      expect(values).toHaveLength(100);
    }
  }, 60_000);

  it('refuses at connection time an address the policy forbids: names that resolve to loopback and IP literals', async () => {
    const strict = new AddressPolicy([]);
    const port = new URL(receiver.url).port;
    for (const url of [`http://localhost:${port}/`, `http://127.0.0.1:${port}/`]) {
      const sent = await sendWebhook(url, {}, '{}', { timeoutMs: 1000, policy: strict, userAgent: 't' });
      expect(sent.result).toMatchObject({ kind: 'refused', message: expect.stringMatching(/loopback/) });
    }
    expect(receiver.requests).toHaveLength(0);
  });

  it('validates webhooks as MLflow does', async () => {
    await expect(
      commands.create({ name: 'x', url: 'https://ci.example.com', events: [{ entity: 'REGISTERED_MODEL', action: 'DELETED' }] }),
    ).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(
      commands.create({ name: 'x', url: 'https://169.254.169.254/', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] }),
    ).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(commands.get('not-an-id')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    const strictCommands = new WebhookCommands(new WebhookEndpointsRepository(db, config), log, configWith({ CAIRN_WEBHOOK_ALLOW_HTTP: 'false' }));
    await expect(strictCommands.create({ name: 'x', url: 'http://ci.example.com', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] })).rejects.toThrow(
      /scheme 'http'/,
    );
  });
});
