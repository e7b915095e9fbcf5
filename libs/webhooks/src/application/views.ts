import type { WebhookEventName } from '../domain/webhook-events';

/** An endpoint as the application sees it; the secret stays a field only infra and signing read. */
export interface WebhookEndpoint {
  webhookId: string;
  name: string;
  description: string | null;
  url: string;
  events: WebhookEventName[];
  secret: string | null;
  status: 'ACTIVE' | 'DISABLED';
  disabledReason: string | null;
  consecutiveFailures: number;
  lastSuccessAt: Date | null;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
}

export type EndpointChanges = Partial<Pick<WebhookEndpoint, 'name' | 'description' | 'url' | 'events' | 'secret' | 'status' | 'disabledReason'>>;

export interface DeliveryRecord {
  deliveryId: string;
  webhookId: string;
  eventId: string;
  entity: string;
  action: string;
  status: 'PENDING' | 'IN_FLIGHT' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  attempts: number;
  body: string;
  createdAt: Date;
  nextAttemptAt: Date | null;
  completedAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  redeliveryOf: string | null;
  sequence: string;
}

export interface AttemptRecord {
  attempt: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  outcome: 'SUCCEEDED' | 'RETRY' | 'FAILED';
}
