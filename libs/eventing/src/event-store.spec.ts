import type { UnitOfWork } from '@cairn/platform';
import { ManualClock } from './clock';
import { ConcurrencyError } from './errors';
import { EventStore } from './event-store';

/** Records the statements instead of running them: append's batching is visible without a database. */
function recordingTx(rows: (params: readonly unknown[]) => unknown[]) {
  const calls: Array<{ text: string; params: readonly unknown[] }> = [];
  const tx = {
    // append sends a named statement ({ name, text, values }); other calls pass (text, params).
    query: async (query: string | { text: string; values: readonly unknown[] }, params: readonly unknown[] = []) => {
      const [text, values] = typeof query === 'string' ? [query, params] : [query.text, query.values];
      calls.push({ text, params: values });
      const result = rows(values);
      return { rows: result, rowCount: result.length };
    },
  } as unknown as UnitOfWork;
  return { tx, calls };
}

const metadata = { actor: 'alice', correlationId: 'req-1', causationId: null };

describe('EventStore.append (without a database)', () => {
  let n = 0;
  const store = new EventStore({
    clock: new ManualClock('2024-07-01T12:00:00Z'),
    newEventId: () => `00000000-0000-7000-8000-${String(++n).padStart(12, '0')}`,
  });

  it('sends a whole batch as one statement (parallel arrays, payloads as one JSON document) and returns envelopes in call order', async () => {
    const { tx, calls } = recordingTx((params) =>
      (params[0] as string[]).map((id, i) => ({ global_position: String(10 + i), event_id: id, aggregate_version: i + 1 })),
    );
    const envelopes = await store.append(
      tx,
      'tracking',
      [
        { type: 'tracking.run.created.v1', aggregateId: 'r1', data: { name: 'a' } },
        { type: 'tracking.params.logged.v1', aggregateId: 'r1', data: { params: [] } },
      ],
      metadata,
    );
    expect(calls).toHaveLength(1);
    expect(calls[0].text).toContain('unnest($1::uuid[], $2::text[], $3::text[])');
    expect(calls[0].text).toContain('json_array_elements($4::json)');
    expect(calls[0].text).toContain('"tracking".outbox');
    expect(calls[0].params.slice(1, 4)).toEqual([['tracking.run.created.v1', 'tracking.params.logged.v1'], ['r1', 'r1'], '[{"name":"a"},{"params":[]}]']);
    expect(envelopes.map((e) => [e.type, e.aggregateVersion, e.occurredAt, e.context, e.actor])).toEqual([
      ['tracking.run.created.v1', 1, '2024-07-01T12:00:00.000Z', 'tracking', 'alice'],
      ['tracking.params.logged.v1', 2, '2024-07-01T12:00:00.000Z', 'tracking', 'alice'],
    ]);
  });

  it('turns "no rows inserted" (a stale expected version) into a ConcurrencyError', async () => {
    const { tx } = recordingTx(() => []);
    await expect(store.append(tx, 'registry', [{ type: 'registry.model.created.v1', aggregateId: 'm', data: {} }], metadata, 0)).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
  });

  it('turns a unique violation on (aggregate_id, aggregate_version) into a ConcurrencyError', async () => {
    const tx = {
      query: async () => {
        throw Object.assign(new Error('duplicate key'), { code: '23505', constraint: 'events_aggregate_version_unique' });
      },
    } as unknown as UnitOfWork;
    await expect(store.append(tx, 'registry', [{ type: 'registry.model.created.v1', aggregateId: 'm', data: {} }], metadata)).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
  });

  it('refuses badly named event types and ambiguous expected versions before touching the database', async () => {
    const { tx, calls } = recordingTx(() => []);
    await expect(store.append(tx, 'tracking', [{ type: 'RunCreated', aggregateId: 'r', data: {} }], metadata)).rejects.toThrow('invalid event type');
    await expect(
      store.append(
        tx,
        'tracking',
        [
          { type: 'tracking.run.created.v1', aggregateId: 'r1', data: {} },
          { type: 'tracking.run.created.v1', aggregateId: 'r2', data: {} },
        ],
        metadata,
        3,
      ),
    ).rejects.toThrow('single aggregate');
    expect(calls).toHaveLength(0);
  });

  it('appends nothing for no events', async () => {
    const { tx, calls } = recordingTx(() => []);
    expect(await store.append(tx, 'tracking', [], metadata)).toEqual([]);
    expect(calls).toHaveLength(0);
  });
});
