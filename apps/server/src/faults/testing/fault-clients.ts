import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CairnApiError, type CairnClient } from '@cairn/sdk';

/**
 * The clients' own record of what the server acknowledged (a 2xx answer) and what they only tried:
 * the suite's checks compare the server's state with this and nothing else (Jepsen's "count what
 * was acknowledged").
 */
export class Ledger {
  /** run → steps of a three-metric log-batch acknowledged / sent at least once. */
  readonly metrics = new Map<string, { keys: readonly string[]; acked: Set<number>; attempted: Set<number> }>();
  /** run → artifact path → its content's sha256, and whether the upload was acknowledged. */
  readonly artifacts = new Map<string, Map<string, { sha256: string; size: number; acked: boolean }>>();
  /** model → sources of version creations sent, and the versions acknowledged (in order). */
  readonly versions = new Map<string, { attempted: string[]; acked: Array<{ version: string; source: string }> }>();
  /** model → versions the `champion` alias was acknowledged to move to, in order. */
  readonly aliasMoves = new Map<string, string[]>();
  /** model → version → stage acknowledged. */
  readonly stages = new Map<string, Map<string, string>>();
  /** Webhook subscriptions: names sent, ids acknowledged. */
  readonly webhooks = { attempted: [] as string[], acked: new Map<string, string>() };
  /** Writes acknowledged, by kind. */
  readonly acknowledged = new Map<string, number>();
  /** Requests that failed for good (after the client's retries), by what the client saw. */
  readonly failed = new Map<string, number>();

  ack(kind: string): void {
    this.acknowledged.set(kind, (this.acknowledged.get(kind) ?? 0) + 1);
    this.lastAckAt = Date.now();
  }

  fail(error: unknown): void {
    const what = describeFailure(error);
    this.failed.set(what, (this.failed.get(what) ?? 0) + 1);
  }

  lastAckAt = 0;

  totalAcknowledged(): number {
    return [...this.acknowledged.values()].reduce((a, b) => a + b, 0);
  }
}

/** What a client saw, in MLflow's terms: `503 TEMPORARILY_UNAVAILABLE` or `network ECONNREFUSED`. */
export function describeFailure(error: unknown): string {
  if (error instanceof CairnApiError) return `${error.httpStatus} ${error.errorCode}`;
  const cause = (error as { cause?: { code?: string; cause?: { code?: string }; name?: string } } | undefined)?.cause;
  return `network ${cause?.code ?? cause?.cause?.code ?? cause?.name ?? (error as Error | undefined)?.name ?? 'error'}`;
}

/**
 * Every answer other than a 2xx, and every failed connection, that the SDK clients saw — retried
 * ones included (the SDK retries them out of sight) — with the time, so the suite can say what
 * clients saw during each fault.
 */
export class Observations {
  readonly seen: Array<{ at: number; what: string }> = [];

  readonly fetch = async (input: string, init: RequestInit): Promise<Response> => {
    try {
      const response = await fetch(input, init);
      if (response.status >= 400 && response.status !== 404 && response.status !== 304) {
        const body = (await response
          .clone()
          .json()
          .catch(() => ({}))) as { error_code?: string };
        const retryAfter = response.headers.get('retry-after');
        this.seen.push({
          at: Date.now(),
          what: `${response.status} ${body.error_code ?? '(not MLflow-shaped)'}${retryAfter ? ` Retry-After: ${retryAfter}` : ''}`,
        });
      }
      return response;
    } catch (error) {
      this.seen.push({ at: Date.now(), what: describeFailure({ cause: error }) });
      throw error;
    }
  };

  /** What was seen between `from` and `to`, counted. */
  between(from: number, to: number): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { at, what } of this.seen) if (at >= from && at <= to) counts[what] = (counts[what] ?? 0) + 1;
    return counts;
  }
}

/** A pause between one client's writes: sixteen clients on a small CI machine, not a benchmark. */
const pace = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Worker {
  name: string;
  /** When this worker last had a write acknowledged. */
  lastAckAt: number;
  done: Promise<void>;
}

/**
 * The SDK clients' workloads: each loops until `running()` is false, sending the next write as
 * soon as the last was answered. A write that failed for good is counted and, when it is
 * idempotent, sent again; a create is never resent (its answer may only have been lost).
 */
export function startSdkWorkers(options: {
  makeClient: () => CairnClient;
  ledger: Ledger;
  running: () => boolean;
  metricRuns: string[];
  logMetricRun: string;
  artifactRuns: string[];
  models: Array<{ name: string; runId: string }>;
  webhookUrl: string;
  /** Where the uploaders write their files (the caller removes it). */
  scratchDir: string;
}): Worker[] {
  const { ledger, running } = options;
  const workers: Worker[] = [];
  const spawn = (name: string, loop: (worker: Worker, client: CairnClient) => Promise<void>) => {
    const worker: Worker = { name, lastAckAt: 0, done: Promise.resolve() };
    const client = options.makeClient();
    worker.done = (async () => {
      while (running()) {
        try {
          await loop(worker, client);
        } catch (error) {
          ledger.fail(error);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    })();
    workers.push(worker);
  };
  const acked = (worker: Worker, kind: string) => {
    worker.lastAckAt = Date.now();
    ledger.ack(kind);
  };

  const METRIC_KEYS = ['loss', 'accuracy', 'lr'] as const;
  for (const runId of options.metricRuns) {
    const entry = { keys: METRIC_KEYS, acked: new Set<number>(), attempted: new Set<number>() };
    ledger.metrics.set(runId, entry);
    let step = 0;
    spawn(`log-batch ${runId.slice(0, 8)}`, async (worker, client) => {
      entry.attempted.add(step);
      // Fixed timestamp and value per step: a resent step is the identical point, which the server skips.
      await client.logBatch(runId, { metrics: METRIC_KEYS.map((key) => ({ key, value: step / 7, timestamp: 1_000 + step, step })) });
      entry.acked.add(step);
      acked(worker, 'log-batch');
      step++;
      await pace(50);
    });
  }

  {
    const entry = { keys: ['single'], acked: new Set<number>(), attempted: new Set<number>() };
    ledger.metrics.set(options.logMetricRun, entry);
    let step = 0;
    spawn('log-metric', async (worker, client) => {
      entry.attempted.add(step);
      await client.logMetric(options.logMetricRun, 'single', step, { step, timestamp: 1_000 + step });
      entry.acked.add(step);
      acked(worker, 'log-metric');
      step++;
      await pace(50);
    });
  }

  const scratch = mkdtempSync(path.join(options.scratchDir, 'uploads-'));
  for (const runId of options.artifactRuns) {
    const files = new Map<string, { sha256: string; size: number; acked: boolean }>();
    ledger.artifacts.set(runId, files);
    let index = 0;
    let pending: { file: string; relative: string } | undefined;
    mkdirSync(path.join(scratch, runId));
    spawn(`upload ${runId.slice(0, 8)}`, async (worker, client) => {
      if (pending === undefined) {
        const content = randomBytes(1_024 + ((index * 7_919) % 15_000));
        const name = `part-${String(index).padStart(5, '0')}.bin`;
        const file = path.join(scratch, runId, name);
        writeFileSync(file, content);
        const relative = `shards/${name}`;
        files.set(relative, { sha256: createHash('sha256').update(content).digest('hex'), size: content.length, acked: false });
        pending = { file, relative };
        index++;
      }
      // An upload that failed is sent again (a PUT of the same bytes to the same path is idempotent).
      await client.uploadArtifact(runId, pending.file, 'shards');
      const record = files.get(pending.relative);
      if (record) record.acked = true;
      pending = undefined;
      acked(worker, 'artifact upload');
      await pace(100);
    });
  }

  for (const model of options.models) {
    const versions = { attempted: [] as string[], acked: [] as Array<{ version: string; source: string }> };
    ledger.versions.set(model.name, versions);
    ledger.aliasMoves.set(model.name, []);
    ledger.stages.set(model.name, new Map());
    let index = 0;
    // Each step of a version's promotion is resent until acknowledged; a new version is started only then.
    let current: { version: string; staged: boolean } | undefined;
    spawn(`registry ${model.name}`, async (worker, client) => {
      if (current === undefined) {
        const source = `runs:/${model.runId}/model-${index++}`;
        versions.attempted.push(source);
        const created = await client.createModelVersion(model.name, source, { runId: model.runId });
        versions.acked.push({ version: created.version, source });
        acked(worker, 'model version');
        current = { version: created.version, staged: false };
      }
      if (!current.staged) {
        await client.transitionModelVersionStage(model.name, current.version, 'Staging');
        ledger.stages.get(model.name)?.set(current.version, 'Staging');
        acked(worker, 'stage transition');
        current.staged = true;
      }
      await client.setRegisteredModelAlias(model.name, 'champion', current.version);
      ledger.aliasMoves.get(model.name)?.push(current.version);
      acked(worker, 'alias move');
      current = undefined;
    });
  }

  let subscription = 0;
  spawn('webhook subscriptions', async (worker, client) => {
    const name = `subscriber-${subscription++}`;
    ledger.webhooks.attempted.push(name);
    // An event this suite never produces after setup: the subscriptions are writes, not extra deliveries.
    const webhook = await client.createWebhook({
      name,
      url: `${options.webhookUrl}/unused/${name}`,
      events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }],
    });
    ledger.webhooks.acked.set(webhook.webhook_id, name);
    acked(worker, 'webhook subscription');
    await pace(500);
  });

  return workers;
}
