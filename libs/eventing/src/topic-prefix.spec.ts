import type { EventBus, Subscription } from './event-bus';
import { withTopicPrefix } from './topic-prefix';

describe('topic prefix', () => {
  const recording = () => {
    const calls: Array<[string, unknown]> = [];
    const bus: EventBus = {
      start: async () => undefined,
      stop: async () => undefined,
      ping: async () => undefined,
      publish: async (topic) => void calls.push(['publish', topic]),
      subscribe: async (s: Subscription) => {
        calls.push(['subscribe', s.topics]);
        return { consumer: s.consumer, stop: async () => undefined };
      },
    };
    return { bus, calls };
  };

  it('namespaces the topics published to and subscribed from', async () => {
    const { bus, calls } = recording();
    const prefixed = withTopicPrefix(bus, 'team-a.');
    await prefixed.publish('cairn.tracking.events.v1', []);
    await prefixed.subscribe({ consumer: 'c', context: 'registry', topics: ['cairn.tracking.events.v1'], handler: async () => undefined });
    expect(calls).toEqual([
      ['publish', 'team-a.cairn.tracking.events.v1'],
      ['subscribe', ['team-a.cairn.tracking.events.v1']],
    ]);
  });

  it('leaves the bus untouched without a prefix', () => {
    const { bus } = recording();
    expect(withTopicPrefix(bus, '')).toBe(bus);
  });
});
