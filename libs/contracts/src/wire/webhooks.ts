import type { NextPageToken } from './common';

/** MLflow 3.3+'s webhook wire shapes (webhooks.proto) and Cairn's delivery log. */

export type WebhookEntity =
  | 'REGISTERED_MODEL'
  | 'MODEL_VERSION'
  | 'MODEL_VERSION_TAG'
  | 'MODEL_VERSION_ALIAS'
  | 'PROMPT'
  | 'PROMPT_VERSION'
  | 'PROMPT_TAG'
  | 'PROMPT_VERSION_TAG'
  | 'PROMPT_ALIAS';
/** MLflow's actions, plus Cairn's `STAGE_TRANSITIONED` (of `MODEL_VERSION`), which MLflow OSS lacks. */
export type WebhookAction = 'CREATED' | 'UPDATED' | 'DELETED' | 'SET' | 'STAGE_TRANSITIONED';
export interface WebhookEvent {
  entity: WebhookEntity;
  action: WebhookAction;
}

export type WebhookStatus = 'ACTIVE' | 'DISABLED';

/** MLflow's `Webhook`. The secret is never returned. */
export interface Webhook {
  webhook_id: string;
  name: string;
  description?: string;
  url: string;
  events: WebhookEvent[];
  status: WebhookStatus;
  creation_timestamp: number;
  last_updated_timestamp: number;
}

/** Cairn's view of a webhook (`/api/2.0/cairn/webhooks/get`): every event, and the endpoint's health. */
export interface CairnWebhook extends Webhook {
  event_names: string[];
  has_secret: boolean;
  disabled_reason?: string;
  consecutive_failures: number;
  last_success_timestamp?: number;
}

export interface WebhookTestResult {
  success: boolean;
  response_status?: number;
  response_body?: string;
  error_message?: string;
}

export type WebhookDeliveryStatus = 'PENDING' | 'IN_FLIGHT' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** One attempt of a delivery (`deliveries/get`'s `attempt_log`). */
export interface WebhookDeliveryAttempt {
  attempt: number;
  started_timestamp: number;
  duration_ms: number;
  outcome: 'SUCCEEDED' | 'RETRY' | 'FAILED';
  status_code?: number;
  error?: string;
  response_body?: string;
}

/**
 * One entry of Cairn's delivery log (`/api/2.0/cairn/webhooks/deliveries`). A type alias, not an
 * interface, so readers may still treat it as a plain `Record<string, unknown>`.
 */
export type WebhookDelivery = {
  delivery_id: string;
  webhook_id: string;
  event_id: string;
  entity: string;
  action: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  created_timestamp: number;
  next_attempt_timestamp?: number;
  completed_timestamp?: number;
  last_status_code?: number;
  last_error?: string;
  redelivery_of?: string;
  /** The JSON body that was (or will be) posted. */
  payload: unknown;
  /** Only on `deliveries/get`. */
  attempt_log?: WebhookDeliveryAttempt[];
};

// ---- response bodies --------------------------------------------------------------------------

export interface GetWebhookResponse {
  webhook: Webhook;
}
export interface ListWebhooksResponse extends NextPageToken {
  webhooks: Webhook[];
}
export interface TestWebhookResponse {
  result: WebhookTestResult;
}
export interface GetCairnWebhookResponse {
  webhook: CairnWebhook;
}
export interface ListWebhookDeliveriesResponse extends NextPageToken {
  deliveries: WebhookDelivery[];
}
export interface GetWebhookDeliveryResponse {
  delivery: WebhookDelivery;
}

// ---- request bodies (what a client sends; the server's zod schemas read these fields) -----------

export interface CreateWebhookRequest {
  name: string;
  url: string;
  events: WebhookEvent[];
  description?: string;
  secret?: string;
  status?: WebhookStatus;
}
export type UpdateWebhookRequest = Partial<CreateWebhookRequest>;
export interface TestWebhookRequest {
  event?: WebhookEvent;
}
export interface WebhookDeliveryIdRequest {
  delivery_id: string;
}
