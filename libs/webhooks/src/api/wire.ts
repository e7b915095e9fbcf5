import type { CairnWebhook, Webhook, WebhookDelivery, WebhookDeliveryAttempt, WebhookEvent, WebhookTestResult } from '@cairn/contracts';
import type { AttemptRecord, DeliveryRecord, WebhookEndpoint } from '../application/views';
import { eventToWire, type WebhookEventName } from '../domain/webhook-events';
import type { TestResult } from '../application/webhook-commands';

// MLflow's Python client rejects (raises on) an event it does not know, so the MLflow routes show
// only MLflow's events; Cairn's routes show the full subscription (stage transitions included).
const MLFLOW_EVENTS = new Set([
  'registered_model.created',
  'model_version.created',
  'model_version_tag.set',
  'model_version_tag.deleted',
  'model_version_alias.created',
  'model_version_alias.deleted',
]);

// WEBHOOK_EVENTS are MLflow's `entity.action` names, so their upper-cased halves are webhooks.proto's enum names.
const wireEvent = (name: WebhookEventName): WebhookEvent => eventToWire(name) as WebhookEvent;

/** MLflow's `Webhook` (webhooks.proto@8ecbf19). The secret is never returned. */
export function mlflowWebhookJson(w: WebhookEndpoint): Webhook {
  return {
    webhook_id: w.webhookId,
    name: w.name,
    ...(w.description === null ? {} : { description: w.description }),
    url: w.url,
    events: w.events.filter((e) => MLFLOW_EVENTS.has(e)).map(wireEvent),
    status: w.status,
    creation_timestamp: w.creationTimestamp,
    last_updated_timestamp: w.lastUpdatedTimestamp,
  };
}

/** Cairn's view: every subscribed event, whether a secret is set, and the endpoint's health. */
export function cairnWebhookJson(w: WebhookEndpoint): CairnWebhook {
  return {
    ...mlflowWebhookJson(w),
    events: w.events.map(wireEvent),
    event_names: w.events,
    has_secret: w.secret !== null && w.secret !== '',
    ...(w.disabledReason === null ? {} : { disabled_reason: w.disabledReason }),
    consecutive_failures: w.consecutiveFailures,
    ...(w.lastSuccessAt === null ? {} : { last_success_timestamp: w.lastSuccessAt.getTime() }),
  };
}

export function testResultJson(r: TestResult): WebhookTestResult {
  return {
    success: r.success,
    ...(r.responseStatus === undefined ? {} : { response_status: r.responseStatus }),
    ...(r.responseBody === undefined ? {} : { response_body: r.responseBody }),
    ...(r.errorMessage === undefined ? {} : { error_message: r.errorMessage }),
  };
}

const ms = (d: Date | null) => (d === null ? undefined : d.getTime());

export function deliveryJson(d: DeliveryRecord): WebhookDelivery {
  return {
    delivery_id: d.deliveryId,
    webhook_id: d.webhookId,
    event_id: d.eventId,
    entity: d.entity,
    action: d.action,
    status: d.status,
    attempts: d.attempts,
    created_timestamp: d.createdAt.getTime(),
    next_attempt_timestamp: ms(d.status === 'PENDING' ? d.nextAttemptAt : null),
    completed_timestamp: ms(d.completedAt),
    last_status_code: d.lastStatusCode ?? undefined,
    last_error: d.lastError ?? undefined,
    redelivery_of: d.redeliveryOf ?? undefined,
    payload: JSON.parse(d.body) as unknown,
  };
}

export function attemptJson(a: AttemptRecord): WebhookDeliveryAttempt {
  return {
    attempt: a.attempt,
    started_timestamp: a.startedAt.getTime(),
    duration_ms: a.durationMs,
    outcome: a.outcome,
    status_code: a.statusCode ?? undefined,
    error: a.error ?? undefined,
    response_body: a.responseBody ?? undefined,
  };
}
