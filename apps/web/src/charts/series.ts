/**
 * How the compare page turns many runs' metric histories into what a canvas chart draws: the x of
 * each point (step, wall time or time since the run started), TensorBoard's smoothing, and one x
 * axis shared by every run — capped at about one column per pixel, so 200 runs × their points never
 * become a table of millions of cells (uPlot wants one x array for all series).
 */

export type XAxis = 'step' | 'time' | 'relative';
export const X_AXES: readonly XAxis[] = ['step', 'time', 'relative'];
export const X_AXIS_LABELS: Record<XAxis, string> = { step: 'Step', time: 'Wall time', relative: 'Relative time (s)' };

export interface HistoryPoint {
  step: number;
  /** ms since the epoch, as MLflow logs it. */
  timestamp: number;
  value: number | null;
}

/** One run's curve on the chosen axis: x in steps, or seconds (uPlot's time unit), sorted by x. */
export interface Curve {
  x: number[];
  y: Array<number | null>;
}

/**
 * A run's points on an axis. Wall time is seconds since the epoch; relative time is seconds since
 * the run started (`startMs`; its first point when the run has no start time), as MLflow's charts do.
 */
export function curveOf(points: readonly HistoryPoint[], axis: XAxis, startMs: number | undefined): Curve {
  const sorted = [...points].sort((a, b) => (axis === 'step' ? a.step - b.step || a.timestamp - b.timestamp : a.timestamp - b.timestamp || a.step - b.step));
  const origin = startMs ?? sorted[0]?.timestamp ?? 0;
  const x = sorted.map((p) => (axis === 'step' ? p.step : axis === 'time' ? p.timestamp / 1000 : (p.timestamp - origin) / 1000));
  return { x, y: sorted.map((p) => p.value) };
}

/**
 * TensorBoard's smoothing: an exponential moving average with weight `weight` (0 = raw, 0.99 =
 * very smooth), debiased so the curve starts at the first value rather than at zero. Gaps (null)
 * stay gaps and do not reset the average.
 */
export function smooth(values: ReadonlyArray<number | null>, weight: number): Array<number | null> {
  if (weight <= 0) return [...values];
  let last = 0;
  let seen = 0;
  return values.map((v) => {
    if (v === null) return null;
    last = last * weight + (1 - weight) * v;
    seen++;
    return last / (1 - weight ** seen);
  });
}

export interface Aligned {
  xs: number[];
  ys: Array<Array<number | null>>;
}

/**
 * Every curve on one shared x array. While the curves' distinct x values fit in `maxColumns`, they
 * are kept exactly (null where a run has no point there: a gap, not a zero). Past that — wall times
 * of 200 runs never coincide — the x range is cut into `maxColumns` even columns and each run's
 * points in a column are averaged: at one column per pixel, what is drawn is unchanged.
 */
export function align(curves: readonly Curve[], maxColumns: number): Aligned {
  const distinct = new Set<number>();
  for (const c of curves) {
    for (const x of c.x) distinct.add(x);
    if (distinct.size > maxColumns) break;
  }
  if (distinct.size <= maxColumns) {
    const xs = [...distinct].sort((a, b) => a - b);
    const index = new Map(xs.map((x, i) => [x, i]));
    const ys = curves.map((c) => {
      const row = new Array<number | null>(xs.length).fill(null);
      c.x.forEach((x, i) => (row[index.get(x) ?? 0] = c.y[i] ?? null));
      return row;
    });
    return { xs, ys };
  }
  let min = Infinity;
  let max = -Infinity;
  for (const c of curves)
    for (const x of c.x) {
      if (x < min) min = x;
      if (x > max) max = x;
    }
  const columns = Math.max(2, maxColumns);
  const width = (max - min) / (columns - 1) || 1;
  const xs = Array.from({ length: columns }, (_, i) => min + i * width);
  // Plain loops over typed arrays: this runs for every run on every redraw (200 × the chart's width).
  const ys = curves.map((c) => {
    const sum = new Float64Array(columns);
    const count = new Uint32Array(columns);
    for (let i = 0; i < c.x.length; i++) {
      const y = c.y[i];
      if (y === null || y === undefined) continue;
      const column = Math.round(((c.x[i] ?? min) - min) / width);
      sum[column] = (sum[column] ?? 0) + y;
      count[column] = (count[column] ?? 0) + 1;
    }
    const row = new Array<number | null>(columns);
    for (let k = 0; k < columns; k++) row[k] = count[k] === 0 ? null : (sum[k] ?? 0) / (count[k] ?? 1);
    return row;
  });
  return { xs, ys };
}
