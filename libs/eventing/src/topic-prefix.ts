import type { EventEnvelope } from '@cairn/contracts';
import type { ConsumerLag, EventBus, Subscription, SubscriptionHandle } from './event-bus';

/**
 * Namespaces every topic of a bus (`<prefix>cairn.tracking.events.v1`), so several installations
 * or test runs can share one Kafka cluster without seeing each other's events. Contexts keep using
 * `topicOf(context)`; only the transport sees the prefix.
 */
export function withTopicPrefix(bus: EventBus, prefix: string): EventBus {
  if (prefix === '') return bus;
  return {
    start: () => bus.start(),
    stop: () => bus.stop(),
    ping: () => bus.ping(),
    publish: (topic: string, envelopes: readonly EventEnvelope[]) => bus.publish(prefix + topic, envelopes),
    subscribe: (subscription: Subscription): Promise<SubscriptionHandle> =>
      bus.subscribe({ ...subscription, topics: subscription.topics.map((topic) => prefix + topic) }),
    ...(bus.consumerLag
      ? {
          consumerLag: async (): Promise<ConsumerLag[]> =>
            ((await bus.consumerLag?.()) ?? []).map((lag) => ({ ...lag, topic: lag.topic.startsWith(prefix) ? lag.topic.slice(prefix.length) : lag.topic })),
        }
      : {}),
  };
}
