import type { WireDouble } from '@cairn/contracts';

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

export interface MetricPosition {
  step: number;
  timestamp: number;
  /** The stored value (NaN as 0). */
  value: number;
}

/**
 * A run's "latest" metric is the point with the greatest (step, timestamp, value), compared on
 * stored values (MLflow sqlalchemy_store `_compare_metrics`). A later point with a smaller step does
 * not replace it. The SQL upsert in infra/sql.ts applies the same rule.
 */
export function isNewerMetric(candidate: MetricPosition, current: MetricPosition): boolean {
  if (candidate.step !== current.step) return candidate.step > current.step;
  if (candidate.timestamp !== current.timestamp) return candidate.timestamp > current.timestamp;
  return candidate.value > current.value;
}
