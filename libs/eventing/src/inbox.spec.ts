import type { EventEnvelope } from '@cairn/contracts';
import type { UnitOfWork } from '@cairn/platform';
import { encodeEnvelope } from './envelope-codec';
import { NonRetriableError } from './errors';
import type { EventHandler, Subscription } from './event-bus';
import { IdempotentConsumer } from './inbox';
import type { EventingDatabase } from './sql';

/** The inbox and dead letters as two in-memory tables; statements are told apart by their text. */
function memoryDatabase() {
  const inbox = new Map<string, string>();
  const deadLetters: Array<{ eventId: unknown; type: unknown; reason: unknown }> = [];
  const tx = {
    query: async (query: string | { text: string; values: readonly unknown[] }, params: readonly unknown[] = []) => {
      const [text, values] = typeof query === 'string' ? [query, params] : [query.text, query.values];
      if (text.includes('.inbox')) {
        const key = `${String(values[0])}/${String(values[1])}`;
        if (inbox.has(key)) return { rows: [], rowCount: 0 };
        inbox.set(key, String(values[3]));
        return { rows: [], rowCount: 1 };
      }
      if (text.includes('.dead_letters')) deadLetters.push({ eventId: values[1], type: values[2], reason: values[5] });
      return { rows: [], rowCount: 1 };
    },
  } as unknown as UnitOfWork;
  // A failed transaction leaves the inbox as it was.
  const transaction = async <T>(work: (uow: UnitOfWork) => Promise<T>): Promise<T> => {
    const before = new Map(inbox);
    try {
      return await work(tx);
    } catch (error) {
      inbox.clear();
      for (const [key, value] of before) inbox.set(key, value);
      throw error;
    }
  };
  const database = { transaction } as unknown as EventingDatabase;
  return { database, inbox, deadLetters };
}

const envelope = (type: string, n: number): EventEnvelope => ({
  eventId: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`,
  type,
  context: 'tracking',
  aggregateId: 'r1',
  aggregateVersion: n,
  occurredAt: '2026-12-08T00:00:00.000Z',
  actor: 'alice',
  correlationId: null,
  causationId: null,
  data: {},
});

function subscription(handler: EventHandler, eventTypes?: ReadonlySet<string>): Subscription {
  return { consumer: 'registry.test', context: 'registry', topics: ['cairn.tracking'], handler, eventTypes, retry: { maxAttempts: 1 } };
}

describe('IdempotentConsumer and event types it does not handle (upgrade rule, ADR 0011)', () => {
  it('skips a type outside the subscription’s set: marked in the inbox, the handler never runs, nothing is dead-lettered', async () => {
    const { database, inbox, deadLetters } = memoryDatabase();
    const seen: string[] = [];
    const consumer = new IdempotentConsumer(
      database,
      subscription(async (event) => void seen.push(event.type), new Set(['tracking.run.created.v1'])),
    );

    const newer = envelope('tracking.run.archived.v7', 1);
    expect(await consumer.deliver({ topic: 'cairn.tracking', value: encodeEnvelope(newer) })).toBe('skipped');
    expect(await consumer.deliver({ topic: 'cairn.tracking', value: encodeEnvelope(newer) })).toBe('duplicate');
    expect(await consumer.deliver({ topic: 'cairn.tracking', value: encodeEnvelope(envelope('tracking.run.created.v1', 2)) })).toBe('applied');

    expect(seen).toEqual(['tracking.run.created.v1']);
    expect(deadLetters).toEqual([]);
    expect(inbox.get(`registry.test/${newer.eventId}`)).toBe('applied');
  });

  it('still dead-letters a handled type the handler refuses', async () => {
    const { database, deadLetters } = memoryDatabase();
    const consumer = new IdempotentConsumer(
      database,
      subscription(
        async () => {
          throw new NonRetriableError('bad data');
        },
        new Set(['tracking.run.created.v1']),
      ),
    );
    expect(await consumer.deliver({ topic: 'cairn.tracking', value: encodeEnvelope(envelope('tracking.run.created.v1', 1)) })).toBe('dead_lettered');
    expect(deadLetters).toEqual([expect.objectContaining({ type: 'tracking.run.created.v1', reason: 'NonRetriableError: bad data' })]);
  });

  it('hands every type to a subscription that declares none', async () => {
    const { database } = memoryDatabase();
    const seen: string[] = [];
    const consumer = new IdempotentConsumer(
      database,
      subscription(async (event) => void seen.push(event.type)),
    );
    expect(await consumer.deliver({ topic: 'cairn.tracking', value: encodeEnvelope(envelope('tracking.anything.v9', 1)) })).toBe('applied');
    expect(seen).toEqual(['tracking.anything.v9']);
  });
});
