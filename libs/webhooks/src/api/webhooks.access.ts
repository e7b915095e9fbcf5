import { ADMIN_ONLY, EVERY_RESOURCE, requires, type AccessRequest, type AccessTable, type Locator } from '@cairn/contracts';
import { schemas as s } from './dto';
import type { CairnWebhooksController, MlflowWebhooksController } from './webhooks.controller';

/**
 * Webhooks are server-wide and admin-managed (they can point at any host). A grant on one webhook
 * (a CI token's) only lets its holder read its deliveries (READ) and redeliver them (EDIT).
 */
export const MLFLOW_WEBHOOKS_ACCESS: AccessTable<MlflowWebhooksController> = {
  create: ADMIN_ONLY,
  list: ADMIN_ONLY,
  get: ADMIN_ONLY,
  update: ADMIN_ONLY,
  delete: ADMIN_ONLY,
  test: ADMIN_ONLY,
};

/** The webhook of a delivery (`$1`: delivery id, a uuid). */
const WEBHOOK_OF_DELIVERY = `SELECT webhook_id FROM webhooks.deliveries WHERE delivery_id = $1::uuid`;

/** The handlers' id check: anything else is a 404 before any query. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The handlers parse the query object as Fastify hands it over (a repeated key is an array: refused). */
const queryOf = (request: AccessRequest): unknown => request.query;
const bodyOf = (request: AccessRequest): unknown => request.body ?? {};

/** `webhook_id` of webhooks/get. */
export const webhookIn: Locator = (request) => {
  const parsed = s.webhookId.safeParse(queryOf(request));
  return parsed.success && parsed.data.webhook_id !== undefined ? [{ type: 'webhook', id: parsed.data.webhook_id }] : [];
};

/** The deliveries list: one webhook's, or (no `webhook_id`) every webhook's, which only an admin or a grant on `*` reads. */
export const deliveriesIn: Locator = (request) => {
  const parsed = s.deliveries.safeParse(queryOf(request));
  if (!parsed.success) return [];
  return [{ type: 'webhook', id: parsed.data.webhook_id ?? EVERY_RESOURCE }];
};

/** `delivery_id` (query for deliveries/get, body for redeliver): the webhook it was made for. */
export const deliveryIn =
  (input: (request: AccessRequest) => unknown): Locator =>
  async (request, lookup) => {
    const parsed = s.delivery.safeParse(input(request));
    const deliveryId = parsed.success ? parsed.data.delivery_id : undefined;
    if (deliveryId === undefined || !UUID.test(deliveryId)) return [];
    const rows = await lookup.query<{ webhook_id: string }>(WEBHOOK_OF_DELIVERY, [deliveryId]);
    return rows.map((r) => ({ type: 'webhook', id: r.webhook_id }));
  };

export const CAIRN_WEBHOOKS_ACCESS: AccessTable<CairnWebhooksController> = {
  get: requires('READ', webhookIn),
  deliveries: requires('READ', deliveriesIn),
  delivery: requires('READ', deliveryIn(queryOf)),
  redeliver: requires('EDIT', deliveryIn(bodyOf)),
};
