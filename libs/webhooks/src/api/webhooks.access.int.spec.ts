import { randomUUID } from 'node:crypto';
import type { AccessLookup, RouteAccess } from '@cairn/contracts';
import { Database } from '@cairn/platform';
import { createTestDatabase, type TestDatabase } from '@cairn/testing';
import { CAIRN_WEBHOOKS_ACCESS } from './webhooks.access';

describe('webhook delivery locators on real rows', () => {
  let db: TestDatabase;
  let database: Database;
  let lookup: AccessLookup;
  const webhook = randomUUID();
  const delivery = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase();
    database = new Database(db.url, { max: 2 });
    lookup = { query: async <R>(text: string, values: unknown[]) => (await database.query(text, values)).rows as R[] };
    await database.query(
      `INSERT INTO webhooks.endpoints (webhook_id, name, url, events, status, creation_timestamp, last_updated_timestamp)
       VALUES ($1, 'ci', 'https://ci.example/hook', ARRAY['model_version.created'], 'ACTIVE', 0, 0)`,
      [webhook],
    );
    await database.query(
      `INSERT INTO webhooks.deliveries (delivery_id, webhook_id, event_id, entity, action, ordering_key, body, status, event_time)
       VALUES ($1, $2, $3, 'model_version', 'created', 'rm-1', '{}', 'FAILED', now())`,
      [delivery, webhook, randomUUID()],
    );
  }, 60_000);

  afterAll(async () => {
    await database?.close();
    await db?.drop();
  });

  function locate(entry: RouteAccess, query: Record<string, unknown>, body?: unknown) {
    if (entry.kind !== 'resource') throw new Error('not located');
    return entry.locate({ params: {}, query, body }, lookup);
  }

  it('check a delivery, and its redelivery, against the webhook it was made for', async () => {
    expect(await locate(CAIRN_WEBHOOKS_ACCESS.delivery, { delivery_id: delivery })).toEqual([{ type: 'webhook', id: webhook }]);
    expect(await locate(CAIRN_WEBHOOKS_ACCESS.redeliver, {}, { delivery_id: delivery })).toEqual([{ type: 'webhook', id: webhook }]);
    expect(await locate(CAIRN_WEBHOOKS_ACCESS.delivery, { delivery_id: randomUUID() })).toEqual([]);
  });
});
