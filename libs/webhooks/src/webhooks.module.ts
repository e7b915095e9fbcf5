import { Module } from '@nestjs/common';
import { CairnWebhooksController, MlflowWebhooksController } from './api/webhooks.controller';
import { WebhookCommands } from './application/webhook-commands';
import { WebhookDispatcher } from './application/webhook-dispatcher';
import { DeliveryLogRepository } from './infra/delivery-log.repository';
import { WebhookEndpointsRepository } from './infra/webhook-endpoints.repository';

/**
 * The webhooks context: MLflow's webhook API, a durable delivery log fed by registry events, and
 * the dispatcher that works it (signed, retried for ~72 h, ordered per model, SSRF-checked at
 * connection time). Needs `CONFIG`, `Database` and `MetricsRegistry` from its host; its consumer
 * comes from `webhooksSubscriptions(app)`.
 */
@Module({
  controllers: [MlflowWebhooksController, CairnWebhooksController],
  providers: [WebhookEndpointsRepository, DeliveryLogRepository, WebhookCommands, WebhookDispatcher],
  exports: [WebhookCommands, WebhookDispatcher, DeliveryLogRepository],
})
export class WebhooksModule {}
