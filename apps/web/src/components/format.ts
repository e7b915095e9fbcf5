/** Timestamps (ms since the epoch) as the user's local date and time. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined || ms === 0) return '—';
  return new Date(ms).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** A duration the way people say it: `850 ms`, `42 s`, `3 min 20 s`, `2 h 5 min`. */
export function formatDuration(startMs: number | undefined, endMs: number | undefined, now = Date.now()): string {
  if (startMs === undefined) return '—';
  const ms = (endMs ?? now) - startMs;
  if (ms < 1000) return `${Math.max(0, ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ${s % 60} s`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** A metric value: numbers to 6 significant digits, MLflow's NaN/Infinity strings as they are. */
export function formatValue(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(6)).toString();
}

/** A size in bytes the way a file browser shows it. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}
