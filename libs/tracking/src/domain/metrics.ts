import { compareMetricPoints, type WireDouble } from '@cairn/contracts';

/**
 * How a metric value is stored: MLflow's SQL store keeps NaN as 0 with `is_nan`, so that SQL
 * comparisons in search and in the latest-point rule see a number. ±Infinity is stored exactly.
 */
export interface StoredValue {
  value: number;
  isNan: boolean;
}

export function toStored(value: number): StoredValue {
  return Number.isNaN(value) ? { value: 0, isNan: true } : { value, isNan: false };
}

export function fromStored(value: number, isNan: boolean): number {
  return isNan ? Number.NaN : value;
}

/** Protobuf JSON for doubles: NaN and ±Infinity travel as strings. */
export function toWireDouble(value: number): WireDouble {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

export function fromWireDouble(value: WireDouble): number {
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return value;
}

/**
 * The most points one stored chunk holds (0011_metric_chunks): a request's points of one key are
 * split into chunks of this size, ~5 KB each, which Postgres keeps inline and uncompressed.
 */
export const METRIC_CHUNK_POINTS = 200;

/** A point as the read model stores it: value already mapped by `toStored`. */
export interface StoredPoint {
  key: string;
  step: number;
  timestamp: number;
  /** The stored value (NaN as 0). */
  value: number;
  isNan: boolean;
  modelId: string | null;
  datasetName: string | null;
  datasetDigest: string | null;
}

/**
 * What one request's points do to the metric tables, decided here rather than in SQL (Postgres
 * sorting and de-duplicating 1000 tuples cost more than the insert they feed):
 * - `history`: the distinct points (key, step, timestamp, value, isNan — the first one wins, as
 *   MLflow keeps one row per identical point), in (key, step, timestamp, value) order, so ids are
 *   assigned as before;
 * - `latest`: per key the latest point by `compareMetricPoints`, in key order (the upsert takes
 *   row locks in this order).
 */
export function planMetricWrites(points: readonly StoredPoint[]): { history: StoredPoint[]; latest: StoredPoint[] } {
  // A stable sort puts identical points next to each other, the first logged first (0 and -0
  // compare equal, as in float8); the last point of each key is then its latest.
  const sorted = [...points].sort(comparePoints);
  const history: StoredPoint[] = [];
  const latest: StoredPoint[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i];
    const previous = history[history.length - 1];
    if (previous === undefined || comparePoints(previous, p) !== 0) history.push(p);
    if (i === sorted.length - 1 || sorted[i + 1].key !== p.key) latest.push(p);
  }
  return { history, latest };
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePoints(a: StoredPoint, b: StoredPoint): number {
  return compareKeys(a.key, b.key) || compareMetricPoints(a, b);
}
