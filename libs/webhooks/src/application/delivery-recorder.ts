import type { INestApplicationContext } from '@nestjs/common';
import { parseRegistryEvent, REGISTRY_EVENT_TYPES, topicOf, type EventEnvelope } from '@cairn/contracts';
import { NonRetriableError, type Subscription } from '@cairn/eventing';
import type { UnitOfWork } from '@cairn/platform';
import { deliveryBody, notificationOf } from '../domain/notifications';
import { DeliveryLogRepository } from '../infra/delivery-log.repository';
import { WebhookDispatcher } from './webhook-dispatcher';

export const WEBHOOKS_CONSUMER = 'webhooks.registry';

/**
 * Every registry event type this release knows (`notificationOf` decides which notify); one a newer
 * registry adds is skipped by the bus, not dead-lettered (ADR 0011).
 */
export const WEBHOOK_SOURCE_EVENT_TYPES: ReadonlySet<string> = new Set<string>(Object.values(REGISTRY_EVENT_TYPES));

/**
 * Registry → webhooks. Each registry event becomes one PENDING delivery per subscribed endpoint,
 * written in the same transaction as the inbox mark: an event is recorded exactly once, before
 * anything is sent, so a crash between "consumed" and "sent" loses nothing.
 */
export function webhookDeliverySubscription(log: DeliveryLogRepository, dispatcher: Pick<WebhookDispatcher, 'wake'>): Subscription {
  return {
    consumer: WEBHOOKS_CONSUMER,
    context: 'webhooks',
    topics: [topicOf('registry')],
    eventTypes: WEBHOOK_SOURCE_EVENT_TYPES,
    onOutcome: (outcome) => outcome === 'applied' && dispatcher.wake(),
    handler: async (envelope: EventEnvelope, tx: UnitOfWork) => {
      let notification;
      try {
        notification = notificationOf(parseRegistryEvent(envelope.type, envelope.aggregateId, envelope.data));
      } catch (error) {
        throw new NonRetriableError(`unreadable registry event: ${(error as Error).message}`, { cause: error });
      }
      if (notification === null) return;
      await log.record(tx, {
        eventId: envelope.eventId,
        event: notification.event,
        orderingKey: notification.orderingKey,
        body: deliveryBody(notification.event, envelope.occurredAt, notification.data),
        eventTime: envelope.occurredAt,
      });
    },
  };
}

/** The webhooks context's consumers, for a composition root's `subscriptions(app)`. */
export function webhooksSubscriptions(app: INestApplicationContext): Subscription[] {
  return [webhookDeliverySubscription(app.get(DeliveryLogRepository), app.get(WebhookDispatcher))];
}
