import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { invalidParameter, notFound } from '@cairn/contracts';
import { uuidv7 } from '@cairn/eventing';
import { CONFIG, type CairnConfig } from '@cairn/platform';
import { AddressPolicy, urlProblem } from '../domain/address-policy';
import { deliveryBody, examplePayload } from '../domain/notifications';
import { signedHeaders } from '../domain/signature';
import { parseWebhookEvent, type WebhookEventName } from '../domain/webhook-events';
import { DeliveryLogRepository } from '../infra/delivery-log.repository';
import { sendWebhook } from '../infra/http-sender';
import { WebhookEndpointsRepository } from '../infra/webhook-endpoints.repository';
import type { AttemptRecord, DeliveryRecord, EndpointChanges, WebhookEndpoint } from './views';
import { USER_AGENT } from './webhook-dispatcher';

export interface WebhookInput {
  name?: string | undefined;
  description?: string | undefined;
  url?: string | undefined;
  events?: Array<{ entity?: unknown; action?: unknown }> | undefined;
  secret?: string | undefined;
  status?: string | undefined;
}

export interface TestResult {
  success: boolean;
  responseStatus?: number;
  responseBody?: string;
  errorMessage?: string;
}

const MAX_NAME = 256;
const MAX_DESCRIPTION = 5000;
const MAX_SECRET = 1024;
const WEBHOOK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Endpoint management (MLflow's webhook API) and the delivery log's operator actions. */
@Injectable()
export class WebhookCommands {
  private readonly policy: AddressPolicy;

  constructor(
    @Inject(WebhookEndpointsRepository) private readonly endpoints: WebhookEndpointsRepository,
    @Inject(DeliveryLogRepository) private readonly log: DeliveryLogRepository,
    @Inject(CONFIG) private readonly config: CairnConfig,
  ) {
    this.policy = new AddressPolicy(config.webhooks.allowedHosts);
  }

  async create(input: WebhookInput): Promise<WebhookEndpoint> {
    if (!input.name) throw invalidParameter("Missing value for required parameter 'name'.");
    if (!input.url) throw invalidParameter("Missing value for required parameter 'url'.");
    if (!input.events || input.events.length === 0) throw invalidParameter("Missing value for required parameter 'events'.");
    const now = Date.now();
    return this.endpoints.create({
      webhookId: uuidv7(),
      name: this.checkName(input.name),
      description: this.checkDescription(input.description) ?? null,
      url: this.checkUrl(input.url),
      events: this.checkEvents(input.events),
      secret: this.checkSecret(input.secret) ?? null,
      status: this.checkStatus(input.status) ?? 'ACTIVE',
      creationTimestamp: now,
      lastUpdatedTimestamp: now,
    });
  }

  /** MLflow's PATCH: an absent or empty field is left unchanged. Re-enabling clears the disable reason. */
  async update(webhookId: string, input: WebhookInput): Promise<WebhookEndpoint> {
    await this.get(webhookId);
    const changes: EndpointChanges = {};
    if (input.name) changes.name = this.checkName(input.name);
    if (input.description) changes.description = this.checkDescription(input.description) ?? null;
    if (input.url) changes.url = this.checkUrl(input.url);
    if (input.events && input.events.length > 0) changes.events = this.checkEvents(input.events);
    if (input.secret) changes.secret = this.checkSecret(input.secret) ?? null;
    const status = this.checkStatus(input.status);
    if (status !== undefined) {
      changes.status = status;
      changes.disabledReason = status === 'DISABLED' ? 'disabled by a user' : null;
    }
    const updated = await this.endpoints.update(webhookId, changes, Date.now());
    if (!updated) throw notFound(`Webhook with ID ${webhookId} not found.`);
    return updated;
  }

  async get(webhookId: string): Promise<WebhookEndpoint> {
    const endpoint = WEBHOOK_ID.test(webhookId) ? await this.endpoints.get(webhookId) : undefined;
    if (!endpoint) throw notFound(`Webhook with ID ${webhookId} not found.`);
    return endpoint;
  }

  async list(maxResults: number | undefined, pageToken: string | undefined): Promise<{ webhooks: WebhookEndpoint[]; nextPageToken?: string }> {
    const limit = maxResults ?? 100;
    if (limit < 1 || limit > 1000) throw invalidParameter(`Invalid value ${limit} for parameter 'max_results': it must be between 1 and 1000.`);
    const after = pageToken === undefined ? undefined : decodeToken(pageToken);
    const rows = await this.endpoints.list(limit + 1, after);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return rows.length > limit && last ? { webhooks: page, nextPageToken: encodeToken(last.webhookId) } : { webhooks: page };
  }

  async delete(webhookId: string): Promise<void> {
    if (!WEBHOOK_ID.test(webhookId) || !(await this.endpoints.delete(webhookId))) throw notFound(`Webhook with ID ${webhookId} not found.`);
  }

  /**
   * Sends MLflow's example payload for `event` (default: the first subscribed) now, signed like a
   * real delivery, and reports what the receiver said. Not recorded in the delivery log.
   */
  async test(webhookId: string, event: { entity?: unknown; action?: unknown } | undefined): Promise<TestResult> {
    const endpoint = await this.get(webhookId);
    let name: WebhookEventName | undefined = endpoint.events[0];
    if (event !== undefined && (event.entity !== undefined || event.action !== undefined)) {
      const parsed = parseWebhookEvent(event);
      if (!parsed.ok) throw invalidParameter(parsed.message);
      name = parsed.name;
    }
    if (name === undefined) throw invalidParameter('The webhook has no event to test.');
    const body = deliveryBody(name, new Date().toISOString(), examplePayload(name));
    const headers = signedHeaders({ deliveryId: randomUUID(), timestampSeconds: Math.floor(Date.now() / 1000), body, secret: endpoint.secret });
    const sent = await sendWebhook(endpoint.url, headers, body, { timeoutMs: this.config.webhooks.timeoutMs, policy: this.policy, userAgent: USER_AGENT });
    if (sent.result.kind !== 'response') return { success: false, errorMessage: `Failed to test webhook: ${sent.result.message}` };
    return { success: sent.result.statusCode < 400, responseStatus: sent.result.statusCode, responseBody: sent.responseBody ?? '' };
  }

  async deliveries(filter: {
    webhookId?: string | undefined;
    status?: string | undefined;
    maxResults?: number | undefined;
    pageToken?: string | undefined;
  }): Promise<{ deliveries: DeliveryRecord[]; nextPageToken?: string }> {
    const limit = filter.maxResults ?? 100;
    if (limit < 1 || limit > 1000) throw invalidParameter(`Invalid value ${limit} for parameter 'max_results': it must be between 1 and 1000.`);
    const statuses = ['PENDING', 'IN_FLIGHT', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
    const status = filter.status?.toUpperCase();
    if (status !== undefined && !statuses.includes(status))
      throw invalidParameter(`Invalid delivery status '${filter.status}'. Valid statuses are: ${statuses.join(', ')}.`);
    if (filter.webhookId !== undefined) await this.get(filter.webhookId);
    let before: string | undefined;
    if (filter.pageToken !== undefined) {
      before = decodeToken(filter.pageToken);
      if (!/^\d{1,19}$/.test(before)) throw invalidParameter('Invalid page token.');
    }
    const rows = await this.log.list({ webhookId: filter.webhookId, status, beforeSequence: before, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return rows.length > limit && last ? { deliveries: page, nextPageToken: encodeToken(last.sequence) } : { deliveries: page };
  }

  async delivery(deliveryId: string): Promise<{ delivery: DeliveryRecord; attempts: AttemptRecord[] }> {
    const delivery = WEBHOOK_ID.test(deliveryId) ? await this.log.get(deliveryId) : undefined;
    if (!delivery) throw notFound(`Webhook delivery ${deliveryId} not found.`);
    return { delivery, attempts: await this.log.attempts(deliveryId) };
  }

  /**
   * Manual redelivery. A failed or cancelled delivery is sent again under its own id (the receiver
   * never accepted it); an accepted one is sent as a new delivery that names the original, so "one
   * accepted delivery per id" holds even for deliberate resends.
   */
  async redeliver(deliveryId: string): Promise<DeliveryRecord> {
    const { delivery } = await this.delivery(deliveryId);
    if (delivery.status === 'PENDING' || delivery.status === 'IN_FLIGHT')
      throw invalidParameter(`Delivery ${deliveryId} is still ${delivery.status}; it will be sent without being asked.`);
    const endpoint = await this.get(delivery.webhookId);
    if (endpoint.status !== 'ACTIVE')
      throw invalidParameter(`Webhook ${endpoint.webhookId} is disabled (${endpoint.disabledReason ?? 'no reason recorded'}); enable it first.`);
    const id = await this.log.redeliver(delivery);
    if (id === undefined) throw invalidParameter(`Delivery ${deliveryId} changed state meanwhile; look at it again.`);
    return (await this.delivery(id)).delivery;
  }

  private checkName(name: string): string {
    if (name.trim() === '' || name.length > MAX_NAME) throw invalidParameter(`Webhook name must be 1 to ${MAX_NAME} characters.`);
    return name;
  }

  private checkDescription(description: string | undefined): string | undefined {
    if (description !== undefined && description.length > MAX_DESCRIPTION)
      throw invalidParameter(`Webhook description must be at most ${MAX_DESCRIPTION} characters.`);
    return description;
  }

  private checkUrl(url: string): string {
    const problem = urlProblem(url, { allowHttp: this.config.webhooks.allowHttp, policy: this.policy });
    if (problem) throw invalidParameter(problem);
    return url;
  }

  private checkEvents(events: Array<{ entity?: unknown; action?: unknown }>): WebhookEventName[] {
    const names = new Set<WebhookEventName>();
    for (const event of events) {
      const parsed = parseWebhookEvent(event ?? {});
      if (!parsed.ok) throw invalidParameter(parsed.message);
      names.add(parsed.name);
    }
    return [...names];
  }

  private checkSecret(secret: string | undefined): string | undefined {
    if (secret !== undefined && secret.length > MAX_SECRET) throw invalidParameter(`Webhook secret must be at most ${MAX_SECRET} characters.`);
    return secret;
  }

  private checkStatus(status: string | undefined): 'ACTIVE' | 'DISABLED' | undefined {
    if (status === undefined || status === '') return undefined;
    const upper = status.toUpperCase();
    if (upper !== 'ACTIVE' && upper !== 'DISABLED') throw invalidParameter(`Invalid webhook status '${status}'. Valid statuses are: ACTIVE, DISABLED.`);
    return upper;
  }
}

const encodeToken = (value: string) => Buffer.from(value, 'utf8').toString('base64url');

function decodeToken(token: string): string {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(token)) throw invalidParameter('Invalid page token.');
  return Buffer.from(token, 'base64url').toString('utf8');
}
