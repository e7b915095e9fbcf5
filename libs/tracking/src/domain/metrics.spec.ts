import fc from 'fast-check';
import { isLaterMetric } from '@cairn/contracts';
import { planMetricWrites, type StoredPoint } from './metrics';

const point = (key: string, step: number, timestamp: number, value: number, extra: Partial<StoredPoint> = {}): StoredPoint => ({
  key,
  step,
  timestamp,
  value,
  isNan: false,
  modelId: null,
  datasetName: null,
  datasetDigest: null,
  ...extra,
});

describe('planMetricWrites', () => {
  it('keeps one row per identical point (the first), ordered by key, step, timestamp, value', () => {
    const first = point('b', 1, 10, 0.5, { modelId: 'm-1' });
    const plan = planMetricWrites([first, point('a', 2, 10, 1), point('b', 1, 10, 0.5, { modelId: 'm-2' }), point('a', 1, 10, 1), point('b', 1, 10, -0)]);
    expect(plan.history.map((p) => [p.key, p.step, p.value])).toEqual([
      ['a', 1, 1],
      ['a', 2, 1],
      ['b', 1, -0],
      ['b', 1, 0.5],
    ]);
    expect(plan.history).toContain(first);
  });

  it('treats 0 and -0 as one value, as float8 equality does, but NaN (stored 0) apart from 0', () => {
    const plan = planMetricWrites([point('a', 0, 1, 0), point('a', 0, 1, -0), point('a', 0, 1, 0, { isNan: true })]);
    expect(plan.history.map((p) => p.isNan)).toEqual([false, true]);
  });

  it('picks per key its latest point (isLaterMetric), keys in order', () => {
    const plan = planMetricWrites([point('z', 5, 1, 0.1), point('a', 3, 9, 0.2), point('z', 5, 2, 0.0), point('a', 4, 1, 0.1), point('z', 4, 99, 9)]);
    expect(plan.latest.map((p) => [p.key, p.step, p.timestamp, p.value])).toEqual([
      ['a', 4, 1, 0.1],
      ['z', 5, 2, 0],
    ]);
  });

  it('latest is the maximum of the distinct points, whatever their order', () => {
    const arbitraryPoint = fc.record({
      key: fc.constantFrom('a', 'b'),
      step: fc.integer({ min: -3, max: 3 }),
      timestamp: fc.integer({ min: 0, max: 3 }),
      value: fc.constantFrom(0, 1, -1, Infinity),
    });
    fc.assert(
      fc.property(fc.array(arbitraryPoint, { minLength: 1, maxLength: 30 }), (raw) => {
        const plan = planMetricWrites(raw.map((p) => point(p.key, p.step, p.timestamp, p.value)));
        for (const latest of plan.latest) {
          expect(plan.history.filter((p) => p.key === latest.key).some((p) => isLaterMetric(p, latest))).toBe(false);
        }
        expect(new Set(plan.history.map((p) => `${p.key}/${p.step}/${p.timestamp}/${p.value}`)).size).toBe(plan.history.length);
      }),
    );
  });
});
