import type { Metric, WireDouble } from './wire';

/** MLflow's log-batch limit (MAX_METRICS_PER_BATCH, mlflow-api.md §10). */
export const MAX_METRICS_PER_BATCH = 1000;

export interface MetricBufferOptions {
  /** Sends one batch (≤ `maxBatchSize` points of one run). Retries, if any, happen inside. */
  send: (runId: string, metrics: Metric[]) => Promise<void>;
  /** A batch is sent as soon as a run has this many points waiting. */
  maxBatchSize?: number;
  /** Points never wait longer than this before a background flush. */
  flushIntervalMs?: number;
  /** Background flushes have no caller to throw to: their failures land here. */
  onBackgroundError?: (error: unknown) => void;
}

/** A number as protobuf JSON writes it: NaN and ±Infinity as strings (JSON.stringify would send null). */
export function toWireDouble(value: number): WireDouble {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

/**
 * Metric points waiting to be sent with `runs/log-batch`. Points are stamped when logged, so a
 * batch is a fixed list: when the transport retries it, it resends the same points, and the server
 * skips a point identical to a stored one (key, step, timestamp, value — as MLflow's SQL store
 * does), so a retry after a lost response cannot double the history.
 *
 * Sends are serialised: one batch in flight at a time, in logging order per run.
 */
export class MetricBuffer {
  private readonly pending = new Map<string, Metric[]>();
  private readonly maxBatchSize: number;
  private readonly flushIntervalMs: number;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: MetricBufferOptions) {
    this.maxBatchSize = Math.min(options.maxBatchSize ?? MAX_METRICS_PER_BATCH, MAX_METRICS_PER_BATCH);
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
  }

  /** Points not yet acknowledged by the server (a batch in flight counts until it is). */
  get size(): number {
    let n = 0;
    for (const points of this.pending.values()) n += points.length;
    return n + this.inFlight;
  }

  private inFlight = 0;

  add(runId: string, metric: Metric): void {
    const points = this.pending.get(runId) ?? [];
    points.push(metric);
    this.pending.set(runId, points);
    if (points.length >= this.maxBatchSize) this.background();
    else this.arm();
  }

  /**
   * Sends everything logged so far (for one run, or all) and resolves once the server has it. A
   * batch that fails for good is dropped if the server refused it (4xx: resending cannot help), or
   * kept for the next flush if the server could not be reached; either way the error is thrown.
   */
  flush(runId?: string): Promise<void> {
    const next = this.chain.then(() => this.drain(runId));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Runs with points waiting. */
  runIds(): string[] {
    return [...this.pending.keys()].filter((id) => (this.pending.get(id)?.length ?? 0) > 0);
  }

  /** Forgets the points of a run (after its final flush failed and the run is over). */
  discard(runId: string): number {
    const n = this.pending.get(runId)?.length ?? 0;
    this.pending.delete(runId);
    return n;
  }

  private async drain(runId?: string): Promise<void> {
    this.disarm();
    const runIds = runId !== undefined ? [runId] : [...this.pending.keys()];
    try {
      for (const id of runIds) {
        for (;;) {
          const points = this.pending.get(id);
          if (points === undefined || points.length === 0) {
            this.pending.delete(id);
            break;
          }
          const batch = points.splice(0, this.maxBatchSize);
          this.inFlight = batch.length;
          try {
            await this.options.send(id, batch);
          } catch (error) {
            if (!isRefusal(error)) points.unshift(...batch);
            throw error;
          } finally {
            this.inFlight = 0;
          }
        }
      }
    } finally {
      if (this.size > 0) this.arm();
    }
  }

  private background(): void {
    this.flush().catch((error: unknown) => this.options.onBackgroundError?.(error));
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.background();
    }, this.flushIntervalMs);
    // The buffer must never keep a finished script alive; beforeExit flushes what is left.
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function isRefusal(error: unknown): boolean {
  const status = (error as { httpStatus?: unknown }).httpStatus;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 408 && status !== 429;
}
