import { TRACKING_EVENT_TYPES as T, type TrackingEvent } from '@cairn/contracts';
import { describeRunChange } from './run-history';

const runId = 'a'.repeat(32);

describe('describeRunChange', () => {
  it('summarises a batch of a thousand points by its keys and step range, listing at most twenty keys', () => {
    const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: `m${i % 25}`, value: i, timestamp: 1, step: i }));
    const change = describeRunChange({ type: T.metricsLogged, aggregateId: runId, data: { runId, metrics } } as TrackingEvent);
    expect(change.summary).toMatch(/^1000 metric points: m0, m1, .*, m19 \(\+5 more\)$/);
    expect(change.details).toMatchObject({ points: 1000, min_step: 0, max_step: 999 });
    expect((change.details['keys'] as string[]).length).toBe(20);
  });

  it('cuts long param values (a 6000-character param stays readable in a timeline)', () => {
    const change = describeRunChange({
      type: T.paramsLogged,
      aggregateId: runId,
      data: { runId, params: [{ key: 'config', value: 'x'.repeat(6000) }] },
    } as TrackingEvent);
    expect(change.summary.length).toBeLessThan(300);
    expect(change.summary.endsWith('…')).toBe(true);
  });

  it('says what a run update changed', () => {
    expect(describeRunChange({ type: T.runUpdated, aggregateId: runId, data: { runId, status: 'KILLED', endTime: 5 } } as TrackingEvent).summary).toBe(
      'Status → KILLED',
    );
    expect(describeRunChange({ type: T.runUpdated, aggregateId: runId, data: { runId, name: 'b' } } as TrackingEvent).summary).toBe('Renamed to b');
  });
});
