import { align, curveOf, smooth } from './series';

const points = [
  { step: 2, timestamp: 1_700_000_004_000, value: 0.5 },
  { step: 0, timestamp: 1_700_000_000_000, value: 1 },
  { step: 1, timestamp: 1_700_000_001_500, value: null },
];

describe('compare chart series', () => {
  it('puts points on the step, wall-time or relative-time axis, in order', () => {
    expect(curveOf(points, 'step', undefined)).toEqual({ x: [0, 1, 2], y: [1, null, 0.5] });
    expect(curveOf(points, 'time', undefined).x).toEqual([1_700_000_000, 1_700_000_001.5, 1_700_000_004]);
    // Seconds since the run started (MLflow's relative time), or since its first point without a start time.
    expect(curveOf(points, 'relative', 1_699_999_999_000).x).toEqual([1, 2.5, 5]);
    expect(curveOf(points, 'relative', undefined).x).toEqual([0, 1.5, 4]);
  });

  it('smooths like TensorBoard: starts at the first value, follows the trend, keeps gaps', () => {
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const smoothed = smooth([10, null, 0, 0], 0.5);
    expect(smoothed[0]).toBe(10);
    expect(smoothed[1]).toBeNull();
    // Debiased EMA: (0.5·5 + 0) / (1 − 0.25) after the second value.
    expect(smoothed[2]).toBeCloseTo(10 / 3);
    expect(smoothed[3]).toBeLessThan(smoothed[2] ?? 0);
    expect(smooth([4, 4, 4], 0.9).every((v) => Math.abs((v ?? 0) - 4) < 1e-9)).toBe(true);
  });

  it('shares exact x values while they fit, with gaps where a run has no point', () => {
    const aligned = align(
      [
        { x: [0, 10], y: [1, 0.5] },
        { x: [5, 10], y: [2, 1] },
      ],
      100,
    );
    expect(aligned).toEqual({
      xs: [0, 5, 10],
      ys: [
        [1, null, 0.5],
        [null, 2, 1],
      ],
    });
  });

  it('averages into at most maxColumns columns when runs do not share x values (200 runs on wall time)', () => {
    const curves = Array.from({ length: 200 }, (_, run) => ({
      x: Array.from({ length: 100 }, (_, i) => 1000 + run * 0.37 + i * 10),
      y: Array.from({ length: 100 }, () => run),
    }));
    const aligned = align(curves, 500);
    expect(aligned.xs).toHaveLength(500);
    expect(aligned.ys).toHaveLength(200);
    expect(aligned.xs[0]).toBe(1000);
    expect(aligned.xs[499]).toBeCloseTo(1000 + 199 * 0.37 + 990);
    // Each run keeps its value where it has points and gaps elsewhere.
    expect(aligned.ys[7]?.filter((v) => v !== null).every((v) => v === 7)).toBe(true);
    expect(aligned.ys[7]?.filter((v) => v !== null).length).toBe(100);
  });
});
