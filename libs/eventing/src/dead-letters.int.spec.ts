import { encodeEnvelope } from './envelope-codec';
import { ConsumerNotHereError, DeadLetterNotFoundError, DeadLetters } from './dead-letters';
import { NonRetriableError } from './errors';
import type { Subscription } from './event-bus';
import { IdempotentConsumer } from './inbox';
import { append, appliedRows, counted, counterProjection, createEventingTestDatabase, type EventingTestDatabase } from './testing/eventing-test-support';

/** The first element, failing the test when there is none. */
function firstOf<T>(items: readonly T[]): T {
  const [item] = items;
  if (item === undefined) throw new Error('expected at least one');
  return item;
}

describe('dead letters: replay after a fix, discard with a reason (real Postgres)', () => {
  let env: EventingTestDatabase;
  // The test hook: while `broken`, the consumer refuses every event, as a bug would.
  let broken: boolean;
  const consumerName = 'registry.poisoned';
  const subscription: Subscription = {
    consumer: consumerName,
    context: 'registry',
    topics: ['cairn.tracking'],
    retry: { maxAttempts: 1 },
    handler: async (event, uow, delivery) => {
      if (broken) throw new NonRetriableError(`cannot apply ${event.type}`);
      await counterProjection(consumerName)(event, uow, delivery);
    },
  };
  let consumer: IdempotentConsumer;
  let deadLetters: DeadLetters;

  beforeAll(async () => {
    env = await createEventingTestDatabase();
  });
  afterAll(async () => {
    await env.close();
  });
  beforeEach(async () => {
    await env.reset();
    broken = true;
    consumer = new IdempotentConsumer(env.db, subscription);
    deadLetters = new DeadLetters(env.db, (name) => (name === consumerName ? subscription : undefined));
  });

  async function poison(aggregateId: string) {
    const event = firstOf(await append(env.db, [counted(aggregateId)]));
    const message = { topic: 'cairn.tracking', value: encodeEnvelope(event) };
    expect(await consumer.deliver(message)).toBe('dead_lettered');
    return { event, message };
  }

  it('a poison event is dead-lettered, a replay before the fix keeps it with the new error, after the fix it is applied exactly once', async () => {
    const { event, message } = await poison('run-1');
    const letter = firstOf((await deadLetters.list('registry', { limit: 10 })).deadLetters);
    expect(letter).toMatchObject({ consumer: consumerName, eventId: event.eventId, attempts: 1, reason: `NonRetriableError: cannot apply ${event.type}` });

    expect(await deadLetters.replay('registry', letter.id)).toEqual({
      id: letter.id,
      consumer: consumerName,
      outcome: 'failed',
      reason: `NonRetriableError: cannot apply ${event.type}`,
    });
    const kept = await deadLetters.get('registry', letter.id);
    expect(kept.attempts).toBe(2);
    expect(kept.lastReplayedAt).not.toBeNull();
    expect(await appliedRows(env.db, consumerName)).toEqual([]);

    broken = false;
    expect(await deadLetters.replay('registry', letter.id)).toEqual({ id: letter.id, consumer: consumerName, outcome: 'applied' });
    expect((await appliedRows(env.db, consumerName)).map((r) => r.event_id)).toEqual([event.eventId]);
    expect((await deadLetters.list('registry', { limit: 10 })).deadLetters).toEqual([]);
    const { rows } = await env.db.query<{ outcome: string }>('SELECT outcome FROM registry.inbox WHERE consumer = $1 AND event_id = $2', [
      consumerName,
      event.eventId,
    ]);
    expect(rows).toEqual([{ outcome: 'applied' }]);

    // The bus redelivering the original message, or a second replay, applies nothing more.
    expect(await consumer.deliver(message)).toBe('duplicate');
    await expect(deadLetters.replay('registry', letter.id)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
    expect(await appliedRows(env.db, consumerName)).toHaveLength(1);
  });

  it('replays all of a context oldest first, pages the list, and reports letters of consumers running elsewhere', async () => {
    const events = [await poison('a'), await poison('b'), await poison('c')].map((p) => p.event.eventId);
    await env.db.query(
      `INSERT INTO registry.dead_letters (consumer, event_id, event_type, envelope, reason, attempts) VALUES ('registry.elsewhere', gen_random_uuid(), 't', '{}', 'x', 1)`,
    );
    const first = await deadLetters.list('registry', { limit: 2, consumer: consumerName });
    expect(first.deadLetters.map((l) => l.eventId)).toEqual(events.slice(0, 2));
    const second = await deadLetters.list('registry', { limit: 2, consumer: consumerName, after: first.nextAfter });
    expect(second).toEqual({ deadLetters: [expect.objectContaining({ eventId: events[2] })] });

    broken = false;
    const { results, notHere } = await deadLetters.replayAll('registry');
    expect(results.map((r) => r.outcome)).toEqual(['applied', 'applied', 'applied']);
    expect(notHere).toEqual(['registry.elsewhere']);
    expect((await appliedRows(env.db, consumerName)).map((r) => r.event_id)).toEqual(events);
    expect(await deadLetters.pendingCounts('registry')).toEqual([{ consumer: 'registry.elsewhere', count: 1 }]);
    const elsewhere = firstOf((await deadLetters.list('registry', { limit: 10 })).deadLetters);
    await expect(deadLetters.replay('registry', elsewhere.id)).rejects.toBeInstanceOf(ConsumerNotHereError);
  });

  it('a discarded letter is kept with who and why, no longer listed by default, and cannot be replayed', async () => {
    await poison('run-2');
    const letter = firstOf((await deadLetters.list('registry', { limit: 10 })).deadLetters);
    const discarded = await deadLetters.discard('registry', letter.id, 'alice', 'run deleted by hand; nothing to project');
    expect(discarded).toMatchObject({ discardedBy: 'alice', discardReason: 'run deleted by hand; nothing to project' });
    expect(discarded.discardedAt).not.toBeNull();
    expect((await deadLetters.list('registry', { limit: 10 })).deadLetters).toEqual([]);
    expect((await deadLetters.list('registry', { limit: 10, includeDiscarded: true })).deadLetters).toEqual([
      expect.objectContaining({ id: letter.id, discardReason: 'run deleted by hand; nothing to project' }),
    ]);
    broken = false;
    await expect(deadLetters.replay('registry', letter.id)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
    await expect(deadLetters.discard('registry', letter.id, 'bob', 'again')).rejects.toBeInstanceOf(DeadLetterNotFoundError);
    expect(await appliedRows(env.db, consumerName)).toEqual([]);
    expect(await deadLetters.pendingCounts('registry')).toEqual([]);
  });

  it('an unparseable message cannot be replayed: it stays, saying so', async () => {
    expect(await consumer.deliver({ topic: 'cairn.tracking', value: 'not json' })).toBe('dead_lettered');
    const letter = firstOf((await deadLetters.list('registry', { limit: 10 })).deadLetters);
    const result = await deadLetters.replay('registry', letter.id);
    expect(result).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('cannot be replayed: not JSON') });
  });
});
