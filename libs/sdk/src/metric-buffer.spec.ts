import { CairnApiError } from './errors';
import { MetricBuffer, toWireDouble } from './metric-buffer';
import type { Metric } from './wire';

const point = (i: number, key = 'loss'): Metric => ({ key, value: i, timestamp: 1_700_000_000_000 + i, step: i });

function recorder(behaviour: (call: number) => void = () => undefined) {
  const sent: { runId: string; metrics: Metric[] }[] = [];
  let calls = 0;
  return {
    sent,
    send: async (runId: string, metrics: Metric[]) => {
      behaviour(++calls);
      sent.push({ runId, metrics: [...metrics] });
    },
  };
}

describe('MetricBuffer', () => {
  afterEach(() => jest.useRealTimers());

  it('sends a full batch as soon as a run has 1000 points waiting, without waiting for the timer', async () => {
    const r = recorder();
    const buffer = new MetricBuffer({ send: r.send, flushIntervalMs: 60_000 });
    for (let i = 0; i < 2500; i++) buffer.add('run-a', point(i));
    await buffer.flush();
    expect(r.sent.map((b) => b.metrics.length)).toEqual([1000, 1000, 500]);
    expect(r.sent.flatMap((b) => b.metrics.map((m) => m.step))).toEqual([...Array(2500).keys()]);
  });

  it('never exceeds MLflow’s 1000-metric log-batch limit, even when asked to', async () => {
    const r = recorder();
    const buffer = new MetricBuffer({ send: r.send, maxBatchSize: 5000 });
    for (let i = 0; i < 1200; i++) buffer.add('run-a', point(i));
    await buffer.flush();
    expect(Math.max(...r.sent.map((b) => b.metrics.length))).toBe(1000);
  });

  it('sends what is waiting after the time threshold, with nobody calling flush', async () => {
    jest.useFakeTimers();
    const r = recorder();
    const buffer = new MetricBuffer({ send: r.send, flushIntervalMs: 1000 });
    buffer.add('run-a', point(1));
    buffer.add('run-a', point(2));
    jest.advanceTimersByTime(999);
    expect(r.sent).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(r.sent).toEqual([{ runId: 'run-a', metrics: [point(1), point(2)] }]);
    expect(buffer.size).toBe(0);
  });

  it('keeps runs apart: one batch never mixes two runs', async () => {
    const r = recorder();
    const buffer = new MetricBuffer({ send: r.send });
    buffer.add('run-a', point(1));
    buffer.add('run-b', point(2));
    buffer.add('run-a', point(3));
    await buffer.flush();
    expect(r.sent).toEqual([
      { runId: 'run-a', metrics: [point(1), point(3)] },
      { runId: 'run-b', metrics: [point(2)] },
    ]);
  });

  it('flush(runId) sends only that run’s points', async () => {
    const r = recorder();
    const buffer = new MetricBuffer({ send: r.send });
    buffer.add('run-a', point(1));
    buffer.add('run-b', point(2));
    await buffer.flush('run-b');
    expect(r.sent).toEqual([{ runId: 'run-b', metrics: [point(2)] }]);
    expect(buffer.size).toBe(1);
  });

  it('keeps a batch the server never acknowledged, and sends the same points next time (no loss, no duplicates)', async () => {
    const r = recorder((call) => {
      if (call === 1) throw new TypeError('fetch failed');
    });
    const buffer = new MetricBuffer({ send: r.send });
    buffer.add('run-a', point(1));
    buffer.add('run-a', point(2));
    await expect(buffer.flush()).rejects.toThrow('fetch failed');
    expect(buffer.size).toBe(2);
    buffer.add('run-a', point(3));
    await buffer.flush();
    expect(r.sent).toEqual([{ runId: 'run-a', metrics: [point(1), point(2), point(3)] }]);
  });

  it('drops a batch the server refused (4xx): resending it could never succeed', async () => {
    const r = recorder((call) => {
      if (call === 1) throw new CairnApiError('INVALID_PARAMETER_VALUE', 'bad key', 400, 'POST /runs/log-batch');
    });
    const buffer = new MetricBuffer({ send: r.send });
    buffer.add('run-a', point(1));
    await expect(buffer.flush()).rejects.toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
    expect(buffer.size).toBe(0);
  });

  it('serialises sends: concurrent flushes never send a point twice', async () => {
    const r = recorder();
    const buffer = new MetricBuffer({ send: r.send });
    for (let i = 0; i < 1500; i++) buffer.add('run-a', point(i));
    await Promise.all([buffer.flush(), buffer.flush(), buffer.flush()]);
    expect(r.sent.flatMap((b) => b.metrics)).toHaveLength(1500);
  });

  it('NaN and ±Infinity travel as protobuf JSON strings, not null', () => {
    expect([NaN, Infinity, -Infinity, 0.5].map(toWireDouble)).toEqual(['NaN', 'Infinity', '-Infinity', 0.5]);
  });
});
