import pino from 'pino';
import type { EventEnvelope } from '@cairn/contracts';
import { EventStore, type EventBus } from '@cairn/eventing';
import { Database, MetricsRegistry, type CairnConfig, type JsonLogger } from '@cairn/platform';
import { createTestDatabase, waitFor, type TestDatabase } from '@cairn/testing';
import { startRelays } from '@cairn/runtime';

describe('outbox lag on /metrics', () => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: true });
    db = new Database(testDb.url, { max: 4 });
  }, 60_000);
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  it('counts the events a failing bus keeps in the outbox and their age, then zero once they are published', async () => {
    const published: EventEnvelope[] = [];
    let busDown = true;
    // Only `publish` is used by a relay.
    const bus = {
      publish: async (_topic: string, envelopes: readonly EventEnvelope[]) => {
        if (busDown) throw new Error('broker unavailable');
        published.push(...envelopes);
      },
    } as unknown as EventBus;
    const metrics = new MetricsRegistry('test');
    const logger = { pino: pino({ level: 'silent' }) } as unknown as JsonLogger;
    const stop = await startRelays(['registry'], { config: { relayIntervalMs: 20 } as CairnConfig, database: db, bus, logger, metrics });
    const gauge = async (name: string) => {
      const metric = (await (await metrics.registry.getSingleMetric(name)?.get())?.values) ?? [];
      return metric.find((v) => v.labels['context'] === 'registry')?.value;
    };
    try {
      const store = new EventStore();
      await db.transaction((tx) =>
        store.append(
          tx,
          'registry',
          [1, 2, 3].map((n) => ({ type: 'registry.counter.incremented.v1', aggregateId: `m${n}`, data: {} })),
          { actor: 't', correlationId: null, causationId: null },
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await gauge('cairn_outbox_backlog_events')).toBe(3);
      expect(await gauge('cairn_outbox_oldest_event_age_seconds')).toBeGreaterThanOrEqual(0.25);

      busDown = false;
      await waitFor(async () => ((await gauge('cairn_outbox_backlog_events')) === 0 ? true : undefined), { message: 'the backlog drained' });
      expect(await gauge('cairn_outbox_oldest_event_age_seconds')).toBe(0);
      expect(published.map((e) => e.aggregateId)).toEqual(['m1', 'm2', 'm3']);
      // Prometheus's text format carries both, labelled by context.
      expect(await metrics.registry.metrics()).toMatch(/^cairn_outbox_backlog_events\{context="registry",service="test"\} 0$/m);
    } finally {
      await stop();
    }
  });
});
