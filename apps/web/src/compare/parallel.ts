import type { Run } from '@cairn/contracts';

/**
 * A sweep as parallel coordinates: one vertical axis per param (and the metric last), one line per
 * run through its values. Numbers are placed on a linear scale between the runs' min and max;
 * anything else (optimizer names, booleans) on evenly spaced categories in sorted order.
 */
export type ParallelAxis =
  | { kind: 'params' | 'metrics'; key: string; scale: 'numeric'; min: number; max: number }
  | { kind: 'params' | 'metrics'; key: string; scale: 'categorical'; categories: string[] };

export interface ParallelData {
  axes: ParallelAxis[];
  /** Per run, per axis: the position from 0 (bottom) to 1 (top), or null where the run has no value. */
  lines: Array<{ runId: string; positions: Array<number | null>; colour: number | null }>;
}

function valueOf(run: Run, kind: 'params' | 'metrics', key: string): string | undefined {
  const found = (run.data[kind] ?? []).find((item) => item.key === key);
  return found === undefined ? undefined : String(found.value);
}

function axisOf(runs: readonly Run[], kind: 'params' | 'metrics', key: string): ParallelAxis {
  const values = runs.map((run) => valueOf(run, kind, key)).filter((v): v is string => v !== undefined);
  const numbers = values.map(Number);
  if (values.length > 0 && numbers.every((n) => Number.isFinite(n))) {
    return { kind, key, scale: 'numeric', min: Math.min(...numbers), max: Math.max(...numbers) };
  }
  return { kind, key, scale: 'categorical', categories: [...new Set(values)].sort() };
}

function position(axis: ParallelAxis, value: string | undefined): number | null {
  if (value === undefined) return null;
  if (axis.scale === 'numeric') {
    const n = Number(value);
    if (!Number.isFinite(n)) return null;
    return axis.max === axis.min ? 0.5 : (n - axis.min) / (axis.max - axis.min);
  }
  const i = axis.categories.indexOf(value);
  if (i < 0) return null;
  return axis.categories.length === 1 ? 0.5 : i / (axis.categories.length - 1);
}

/**
 * The axes for `params` then `metric`, and each run's line; a line's colour is its metric position
 * (0..1), so the best and worst runs stand out whichever way the metric points.
 */
export function parallelData(runs: readonly Run[], params: readonly string[], metric: string): ParallelData {
  const axes = [...params.map((key) => axisOf(runs, 'params', key)), ...(metric === '' ? [] : [axisOf(runs, 'metrics', metric)])];
  const lines = runs.map((run) => {
    const positions = axes.map((axis) => position(axis, valueOf(run, axis.kind, axis.key)));
    return { runId: run.info.run_id, positions, colour: metric === '' ? null : (positions[positions.length - 1] ?? null) };
  });
  return { axes, lines };
}

/** The label of an axis tick at `position` (0..1): the number there, or the category. */
export function tickLabels(axis: ParallelAxis): Array<{ position: number; label: string }> {
  if (axis.scale === 'categorical') {
    return axis.categories.map((label, i) => ({ position: axis.categories.length === 1 ? 0.5 : i / (axis.categories.length - 1), label }));
  }
  if (axis.min === axis.max) return [{ position: 0.5, label: String(axis.min) }];
  return [
    { position: 0, label: String(Number(axis.min.toPrecision(4))) },
    { position: 1, label: String(Number(axis.max.toPrecision(4))) },
  ];
}
