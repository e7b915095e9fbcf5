/** How a registry change reads in the timeline (pure: unit-tested). */
export interface HistoryChange {
  type: string;
  version?: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** `registry.model_version.stage_transitioned.v1` → `model version stage transitioned`. */
export function changeTitle(type: string): string {
  return type
    .replace(/^registry\./, '')
    .replace(/\.v\d+$/, '')
    .replace(/[._]/g, ' ');
}

/** The fields that changed, as `field: before → after` (a field only on one side shows as added or removed). */
export function changeSummary(change: HistoryChange): string[] {
  const before = change.before ?? {};
  const after = change.after ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const show = (v: unknown) => (v === undefined ? '∅' : typeof v === 'string' ? v : JSON.stringify(v));
  return keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).map((k) => `${k}: ${show(before[k])} → ${show(after[k])}`);
}

/** A `<input type="datetime-local">` value (local time, no zone) as epoch ms; undefined when empty or invalid. */
export function localInputToEpoch(value: string): number | undefined {
  if (value === '') return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}
