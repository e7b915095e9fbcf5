import 'reflect-metadata';
import { runService } from '@cairn/runtime';
import { WebhooksModule, webhooksSubscriptions } from '@cairn/webhooks';

// The webhooks context alone: MLflow's webhook API, the registry-event consumer that records
// deliveries, and the dispatcher that sends them. Replicas share the delivery log safely.
void runService({
  name: 'webhook-dispatcher',
  modules: () => [WebhooksModule],
  subscriptions: (app) => webhooksSubscriptions(app),
});
