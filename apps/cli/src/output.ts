/** Column-aligned text for people; `--json` prints the API objects instead. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '(none)\n';
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** `key  value` lines, keys aligned. */
export function renderPairs(pairs: readonly (readonly [string, string | number | boolean | undefined])[]): string {
  const shown = pairs.filter(([, v]) => v !== undefined && v !== '');
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${String(v)}`).join('\n') + '\n';
}

export const formatTime = (ms: number | undefined): string =>
  ms === undefined || ms === 0
    ? ''
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** Files at least this large get a progress bar (when stderr is a terminal). */
export const PROGRESS_THRESHOLD_BYTES = 1024 * 1024;

/**
 * A one-line progress bar on a terminal, redrawn at most every 100 ms; nothing at all when the
 * stream is not a TTY, so logs and pipes stay clean.
 */
export function progressBar(
  label: string,
  stream: { write(chunk: string): unknown; isTTY?: boolean; columns?: number },
): { update: (done: number, total: number | undefined) => void; finish: () => void } {
  if (!stream.isTTY) return { update: () => undefined, finish: () => undefined };
  let last = 0;
  let drawn = false;
  const draw = (done: number, total: number | undefined) => {
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 30));
    const ratio = total ? Math.min(1, done / total) : 0;
    const filled = Math.round(ratio * width);
    const bar = total ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%` : '';
    stream.write(`\r${label} ${bar} ${formatBytes(done)}${total ? ` / ${formatBytes(total)}` : ''}\x1b[K`);
    drawn = true;
  };
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 100 && (total === undefined || done < total)) return;
      last = now;
      draw(done, total);
    },
    finish() {
      if (drawn) stream.write('\n');
    },
  };
}

/** Prints `data` as JSON for scripts, or what `human` renders for people. */
export function out(ctx: { json: boolean; stdout: NodeJS.WritableStream }, data: unknown, human: () => string): void {
  ctx.stdout.write(ctx.json ? `${JSON.stringify(data, null, 2)}\n` : human());
}
