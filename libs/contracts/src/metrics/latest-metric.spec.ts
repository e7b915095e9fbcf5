import fc from 'fast-check';
import { compareMetricPoints, isLaterMetric, laterMetricSql, latestMetricOrderBySql, latestMetricPoint, type MetricPointPosition } from './latest-metric';

/**
 * The rule written out longhand, independently of the key list: greatest step, then timestamp, then
 * the value as MLflow's SQL store keeps it (NaN as 0; -0 equal to 0, as in float8), then NaN
 * after the 0 it ties with.
 */
function referenceSortKey(p: MetricPointPosition): [number, number, number, number] {
  const nan = p.isNan === true || Number.isNaN(p.value);
  return [p.step, p.timestamp, nan || p.value === 0 ? 0 : p.value, nan ? 1 : 0];
}

function referenceLatest(points: readonly MetricPointPosition[]): [number, number, number, number] | undefined {
  const keys = points.map(referenceSortKey);
  keys.sort((a, b) => {
    for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
  });
  return keys[keys.length - 1];
}

const metricValue = fc.oneof(
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 1, -1, Number.MAX_VALUE, -Number.MAX_VALUE),
  fc.double(),
);
const point = fc.record({ step: fc.integer({ min: -2, max: 2 }), timestamp: fc.integer({ min: 0, max: 2 }), value: metricValue });

describe('the latest-metric rule', () => {
  it('picks the last point of the series sorted by (step, timestamp, stored value, is_nan), whatever the order it sees them in', () => {
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 40 }), (points) => {
        const latest = latestMetricPoint(points);
        expect(latest && referenceSortKey(latest)).toEqual(referenceLatest(points));
        expect(points.some((p) => latest !== undefined && isLaterMetric(p, latest))).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('is a total preorder: antisymmetric and transitive, NaN and infinities included', () => {
    fc.assert(
      fc.property(point, point, point, (a, b, c) => {
        expect(Math.sign(compareMetricPoints(a, b))).toBe(-Math.sign(compareMetricPoints(b, a)) || 0);
        if (compareMetricPoints(a, b) <= 0 && compareMetricPoints(b, c) <= 0) expect(compareMetricPoints(a, c)).toBeLessThanOrEqual(0);
      }),
    );
  });

  it('reads a stored NaN (0 flagged is_nan) as the NaN it stands for', () => {
    const stored = { step: 1, timestamp: 5, value: 0, isNan: true };
    expect(compareMetricPoints(stored, { step: 1, timestamp: 5, value: Number.NaN })).toBe(0);
    expect(isLaterMetric(stored, { step: 1, timestamp: 5, value: 0 })).toBe(true);
  });

  it('ranks a NaN as the 0 it is stored as: below a positive number at the same step and timestamp, above a negative one', () => {
    expect(
      latestMetricPoint([
        { step: 3, timestamp: 7, value: Number.NaN },
        { step: 3, timestamp: 7, value: 0.5 },
      ])?.value,
    ).toBe(0.5);
    expect(
      latestMetricPoint([
        { step: 3, timestamp: 7, value: 0.5 },
        { step: 3, timestamp: 7, value: Number.NaN },
      ])?.value,
    ).toBe(0.5);
    expect(
      latestMetricPoint([
        { step: 3, timestamp: 7, value: -0.5 },
        { step: 3, timestamp: 7, value: Number.NaN },
      ])?.value,
    ).toBeNaN();
    expect(
      latestMetricPoint([
        { step: 3, timestamp: 7, value: Number.POSITIVE_INFINITY },
        { step: 3, timestamp: 7, value: Number.NaN },
      ])?.value,
    ).toBe(Number.POSITIVE_INFINITY);
  });

  it('lets a greater step win over a later timestamp and a greater value', () => {
    expect(isLaterMetric({ step: 2, timestamp: 0, value: 0 }, { step: 1, timestamp: 9, value: 9 })).toBe(true);
    expect(isLaterMetric({ step: 0, timestamp: 99, value: 99 }, { step: 1, timestamp: 9, value: 9 })).toBe(false);
    expect(isLaterMetric({ step: 1, timestamp: 10, value: 0 }, { step: 1, timestamp: 9, value: 9 })).toBe(true);
  });

  it('gives SQL the same keys in the same order', () => {
    expect(laterMetricSql('n', 'c')).toBe('(n.step, n.timestamp, n.value, n.is_nan) > (c.step, c.timestamp, c.value, c.is_nan)');
    expect(latestMetricOrderBySql('x', 'DESC')).toBe('x.step DESC, x.timestamp DESC, x.value DESC, x.is_nan DESC');
  });
});
