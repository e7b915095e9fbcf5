import { REGISTRY_EVENT_TYPES as R, type EventMetadata, type RegistryEvent } from '@cairn/contracts';
import { consumerReplay, EventStore, snapshotTables, type TableSnapshot } from '@cairn/eventing';
import { Database, loadConfig } from '@cairn/platform';
import { createTestDatabase, type TestDatabase, inRolledBackUnitOfWork } from '@cairn/testing';
import { webhookDeliverySubscription } from './application/delivery-recorder';
import { WebhookCommands } from './application/webhook-commands';
import { DeliveryLogRepository } from './infra/delivery-log.repository';
import { WebhookEndpointsRepository } from './infra/webhook-endpoints.repository';

const meta: EventMetadata = { actor: 'ana', correlationId: null, causationId: null };

/*
 * The webhooks context appends no events: its endpoints are state its API writes (MLflow's webhook
 * CRUD), and its delivery log records what was sent and how it went — neither is a projection of
 * webhooks.events, and "rebuilding" the log would send every notification again. What is a function
 * of an event log is the recording: registry.events × the endpoints → one PENDING delivery per
 * subscribed endpoint. That is what this replays, into an emptied log inside a transaction that is
 * rolled back. Compared: every column but `sequence` (drawn anew; its order per endpoint is compared)
 * and `created_at` / `next_attempt_at`, the dispatcher's schedule (when recorded, when due), not facts
 * of the event; the outcome columns are those of a delivery not yet sent on both sides.
 */
const DELIVERIES: TableSnapshot = {
  table: 'webhooks.deliveries',
  exclude: ['created_at', 'next_attempt_at'],
  orderWithin: { column: 'sequence', partition: ['webhook_id'] },
};

describe('webhooks: the delivery log as a function of the registry log', () => {
  let testDb: TestDatabase;
  let db: Database;
  let commands: WebhookCommands;
  let log: DeliveryLogRepository;

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: true });
    db = new Database(testDb.url, { max: 5 });
    const config = loadConfig({ CAIRN_WEBHOOK_ALLOW_HTTP: 'true', CAIRN_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', CAIRN_WEBHOOK_SECRET_KEY: 'ab'.repeat(32) });
    log = new DeliveryLogRepository(db, config);
    commands = new WebhookCommands(new WebhookEndpointsRepository(db, config), log, config);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  const model = (modelId: string) => ({ modelId, name: `model-${modelId}`, timestamp: 1_700_000_000_000 });
  const versionCreated = (modelId: string, version: string): RegistryEvent => ({
    type: R.modelVersionCreated,
    aggregateId: modelId,
    data: {
      ...model(modelId),
      version,
      source: `models:/${modelId}/${version}`,
      runId: null,
      runLink: null,
      loggedModelId: null,
      description: null,
      userId: 'ana',
      tags: [{ key: 'k', value: 'v' }],
    },
  });

  it('recording registry.events again gives the same deliveries, ids included, and the webhooks log stays empty', async () => {
    const all = await commands.create({
      name: 'all',
      url: 'http://127.0.0.1:9/all',
      events: [
        { entity: 'REGISTERED_MODEL', action: 'CREATED' },
        { entity: 'MODEL_VERSION', action: 'CREATED' },
        { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
        { entity: 'MODEL_VERSION_TAG', action: 'SET' },
      ],
      secret: 'shh',
    });
    await commands.create({ name: 'versions', url: 'http://127.0.0.1:9/versions', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] });
    await commands.create({ name: 'off', url: 'http://127.0.0.1:9/off', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }], status: 'DISABLED' });
    const events: RegistryEvent[] = [];
    for (const id of ['m1', 'm2']) {
      events.push({ type: R.registeredModelCreated, aggregateId: id, data: { ...model(id), description: null, tags: [] } });
      events.push(versionCreated(id, '1'), versionCreated(id, '2'));
      events.push({ type: R.modelVersionTagSet, aggregateId: id, data: { ...model(id), version: '1', key: 'k', value: 'w', previousValue: 'v' } });
      events.push({ type: R.aliasSet, aggregateId: id, data: { ...model(id), alias: 'champion', version: '2', previousVersion: null } });
      events.push({ type: R.aliasDeleted, aggregateId: id, data: { ...model(id), alias: 'champion', version: '2' } });
    }
    const recorder = webhookDeliverySubscription(log, { wake: () => undefined });
    // As the registry appends them and the bus delivers them to the recorder, one transaction each.
    const stored = await db.transaction((tx) => new EventStore().append(tx, 'registry', events, meta));
    for (const envelope of stored) await db.transaction((tx) => consumerReplay(recorder, 'registry', tx).apply(envelope));

    const before = await snapshotTables(db, [DELIVERIES]);
    // 2 models × (created + tag set + alias created to `all`, 2 versions to `all` and `versions`); none to the disabled one.
    expect(before['webhooks.deliveries']).toHaveLength(14);
    expect((await log.list({ webhookId: all.webhookId, limit: 100 })).map((d) => `${d.entity}.${d.action}`)).toContain('model_version_alias.created');

    await inRolledBackUnitOfWork(db, async (uow) => {
      await uow.query('DELETE FROM webhooks.deliveries');
      for (const envelope of stored) await consumerReplay(recorder, 'registry', uow).apply(envelope);
      expect(await snapshotTables(uow, [DELIVERIES])).toEqual(before);
      // Recording is idempotent per (endpoint, event): a replay over the live log adds nothing.
      for (const envelope of stored) await consumerReplay(recorder, 'registry', uow).apply(envelope);
      expect(await snapshotTables(uow, [DELIVERIES])).toEqual(before);
    });
    expect((await db.query<{ n: string }>('SELECT count(*) AS n FROM webhooks.events')).rows[0]?.n).toBe('0');
  });
});
