/**
 * MLflow's "latest" metric of a run: the point with the greatest (step, timestamp, value), the
 * value compared as the SQL store keeps it — NaN as 0 with an `is_nan` flag (sqlalchemy_store
 * `_update_latest_metrics_if_necessary` / `_compare_metrics`). A later point with a smaller step
 * does not replace it.
 *
 * MLflow leaves one case to arrival order: NaN and 0 at the same step and timestamp tie, and the
 * first logged stays. Cairn breaks that tie on `is_nan` (the NaN is later), so every reader —
 * tracking's projection, a rebuild, the registry's run summary — picks the same point whatever the
 * order it sees the points in.
 *
 * This list is the one definition: `compareMetricPoints` and the SQL fragments below are derived
 * from it, in this order.
 */
const LATEST_METRIC_ORDER: ReadonlyArray<{ column: string; of: (p: MetricPointPosition) => number }> = [
  { column: 'step', of: (p) => p.step },
  { column: 'timestamp', of: (p) => p.timestamp },
  { column: 'value', of: (p) => (isNanPoint(p) ? 0 : p.value) },
  { column: 'is_nan', of: (p) => (isNanPoint(p) ? 1 : 0) },
];

/**
 * Where a point stands in its series. `value` is the metric's value, NaN and ±Infinity included; a
 * point read from storage may instead carry NaN as `isNan: true` (its stored value is then ignored).
 */
export interface MetricPointPosition {
  step: number;
  timestamp: number;
  value: number;
  isNan?: boolean;
}

function isNanPoint(p: MetricPointPosition): boolean {
  return p.isNan === true || Number.isNaN(p.value);
}

/** Negative when `a` is earlier than `b` by MLflow's latest-metric rule, positive when later, 0 when they tie. */
export function compareMetricPoints(a: MetricPointPosition, b: MetricPointPosition): number {
  for (const key of LATEST_METRIC_ORDER) {
    const x = key.of(a);
    const y = key.of(b);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Whether `candidate` replaces `current` as the series' latest point. */
export function isLaterMetric(candidate: MetricPointPosition, current: MetricPointPosition): boolean {
  return compareMetricPoints(candidate, current) > 0;
}

/** The latest of some points of one series (undefined for none); of tying points, the first. */
export function latestMetricPoint<P extends MetricPointPosition>(points: Iterable<P>): P | undefined {
  let latest: P | undefined;
  for (const p of points) if (latest === undefined || isLaterMetric(p, latest)) latest = p;
  return latest;
}

/**
 * The same rule for SQL over rows stored as the SQL store keeps them (`step`, `timestamp`,
 * `value` with NaN as 0, `is_nan`): `<candidate> is later than <current>`, as a row comparison.
 * The arguments are table aliases written by the caller, never request values.
 */
export function laterMetricSql(candidate: string, current: string): string {
  const row = (alias: string) => `(${LATEST_METRIC_ORDER.map((k) => `${alias}.${k.column}`).join(', ')})`;
  return `${row(candidate)} > ${row(current)}`;
}

/** `ORDER BY` terms putting a series' latest point first (`DESC`) or last (`ASC`); `alias` is a table alias. */
export function latestMetricOrderBySql(alias: string, direction: 'ASC' | 'DESC'): string {
  return LATEST_METRIC_ORDER.map((k) => `${alias}.${k.column} ${direction}`).join(', ');
}
