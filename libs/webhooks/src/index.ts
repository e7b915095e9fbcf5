export { WebhooksModule } from './webhooks.module';
export { webhooksSubscriptions, webhookDeliverySubscription, WEBHOOKS_CONSUMER } from './application/delivery-recorder';
export { WebhookDispatcher } from './application/webhook-dispatcher';
export { WebhookCommands } from './application/webhook-commands';
export { DeliveryLogRepository } from './infra/delivery-log.repository';
export { WEBHOOK_EVENTS, type WebhookEventName } from './domain/webhook-events';
export { signedHeaders } from './domain/signature';
