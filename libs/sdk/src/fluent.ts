/// <reference lib="esnext.disposable" />
import { AsyncLocalStorage } from 'node:async_hooks';
import { CairnClient } from './client';
import { CairnApiError, isMissingEndpoint } from './errors';
import { MetricBuffer, toWireDouble } from './metric-buffer';
import { collectProvenance, type ProvenanceOptions } from './provenance';
import { resolveTrackingUri } from './transport';
import type { Experiment, KeyValue, RunInfo, RunStatus } from './wire';

/** MLflow's log-batch limit for params and for tags. */
const MAX_PARAMS_TAGS_PER_BATCH = 100;
export const HEARTBEAT_INTERVAL_MS = 30_000;

export interface StartRunOptions {
  runName?: string;
  /** Start a child of the active run (tag `mlflow.parentRunId`); without it, starting a run while one is active fails, as in MLflow. */
  nested?: boolean;
  tags?: Record<string, string>;
  /** Defaults to the experiment set with `setExperiment`, the parent's for a nested run, `MLFLOW_EXPERIMENT_ID`, then `"0"`. */
  experimentId?: string;
  /** Stored as `mlflow.note.content`, the run's description in the UI. */
  description?: string;
  /** Git/DVC/lockfile tags captured at start (default on; `false` skips them). */
  provenance?: boolean | ProvenanceOptions;
  /** How often the run tells the server it is alive; 0 disables. */
  heartbeatIntervalMs?: number;
}

export interface MetricOptions {
  step?: number;
  /** Epoch milliseconds; the time of the call by default. */
  timestamp?: number;
}

interface FluentState {
  trackingUri?: string;
  experimentId?: string;
  client?: CairnClient;
}

const state: FluentState = {};
/** The run of the enclosing `startRun(options, body)` callback, across awaits. */
const scope = new AsyncLocalStorage<ActiveRun>();
/** Every started run not yet ended, in start order. */
const openRuns = new Set<ActiveRun>();
/** Runs started without a callback (`await using` or explicit `end()`): active wherever the code is. */
const manualRuns = new WeakSet<ActiveRun>();
const buffers = new Map<CairnClient, MetricBuffer>();
let sequence = 0;

let lastWarning = '';
function warn(message: string): void {
  if (message === lastWarning) return;
  lastWarning = message;
  process.emitWarning(message, { code: 'CAIRN_SDK' });
}

// ---- tracking URI and experiment -----------------------------------------------------------

/** Where runs go: an http(s) URL of a Cairn or MLflow server. */
export function setTrackingUri(uri: string): void {
  state.trackingUri = resolveTrackingUri(uri);
}

export function getTrackingUri(): string {
  return resolveTrackingUri(state.trackingUri);
}

/** The client the fluent API uses (one per tracking URI). */
export function getClient(): CairnClient {
  const uri = getTrackingUri();
  if (state.client?.trackingUri !== uri) state.client = new CairnClient({ trackingUri: uri });
  return state.client;
}

/**
 * Makes the named experiment the active one, creating it if absent (as `mlflow.set_experiment`
 * does); a deleted experiment must be restored first.
 */
export async function setExperiment(nameOrId: string | { experimentId: string }): Promise<Experiment> {
  const client = getClient();
  let experiment: Experiment | undefined;
  if (typeof nameOrId !== 'string') {
    experiment = await client.getExperiment(nameOrId.experimentId);
  } else {
    experiment = await client.getExperimentByName(nameOrId);
    if (experiment === undefined) {
      try {
        experiment = await client.getExperiment(await client.createExperiment(nameOrId));
      } catch (error) {
        // Another process created it between our lookup and our create: use theirs (MLflow does the same).
        if (!(error instanceof CairnApiError && (error.errorCode === 'RESOURCE_ALREADY_EXISTS' || error.errorCode === 'ALREADY_EXISTS'))) throw error;
        experiment = await client.getExperimentByName(nameOrId);
        if (experiment === undefined) throw error;
      }
    }
  }
  if (experiment.lifecycle_stage === 'deleted') {
    throw new Error(
      `Cannot set a deleted experiment '${experiment.name}' as the active experiment. Restore it (cairn experiments restore ${experiment.experiment_id}) or permanently delete it to create a new one.`,
    );
  }
  state.experimentId = experiment.experiment_id;
  return experiment;
}

// ---- runs ------------------------------------------------------------------------------------

function bufferFor(client: CairnClient): MetricBuffer {
  let buffer = buffers.get(client);
  if (buffer === undefined) {
    buffer = new MetricBuffer({
      send: (runId, metrics) => client.logBatch(runId, { metrics }),
      onBackgroundError: (error) => warn(`cairn: sending metrics failed (will retry): ${(error as Error).message}`),
    });
    buffers.set(client, buffer);
    installExitHooks();
  }
  return buffer;
}

/**
 * A run being logged to. Metrics are buffered and sent in batches; params, tags and artifacts are
 * sent at once (params are write-once, so their errors belong to the call that made them).
 */
export class ActiveRun implements AsyncDisposable {
  readonly runId: string;
  readonly experimentId: string;
  /** Start order, to tell which open run is the innermost. */
  readonly sequence = ++sequence;
  private ended = false;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    readonly client: CairnClient,
    readonly info: RunInfo,
    readonly parentRunId: string | undefined,
    heartbeatIntervalMs: number,
  ) {
    this.runId = info.run_id;
    this.experimentId = info.experiment_id;
    if (heartbeatIntervalMs > 0) {
      this.heartbeat = setInterval(() => void this.beat(), heartbeatIntervalMs);
      this.heartbeat.unref();
    }
  }

  get isEnded(): boolean {
    return this.ended;
  }

  private async beat(): Promise<void> {
    try {
      await this.client.heartbeat(this.runId);
    } catch (error) {
      // A server without the endpoint (plain MLflow): stop asking. Anything else: try next time.
      if (isMissingEndpoint(error)) this.stopHeartbeat();
    }
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private get buffer(): MetricBuffer {
    return bufferFor(this.client);
  }

  private assertOpen(): void {
    if (this.ended) throw new Error(`Run ${this.runId} has ended; start a new run to log more.`);
  }

  /** Buffers one point; it reaches the server within a second, at 1000 points, or at `flush()`/end. */
  logMetric(key: string, value: number, options: MetricOptions = {}): void {
    this.assertOpen();
    if (typeof value !== 'number') throw new TypeError(`Metric '${key}' must be a number, got ${typeof value}`);
    const step = options.step ?? 0;
    if (!Number.isInteger(step)) throw new TypeError(`Metric '${key}': step must be an integer, got ${step}`);
    this.buffer.add(this.runId, { key, value: toWireDouble(value), timestamp: options.timestamp ?? Date.now(), step });
  }

  logMetrics(metrics: Record<string, number>, options: MetricOptions = {}): void {
    const timestamp = options.timestamp ?? Date.now();
    for (const [key, value] of Object.entries(metrics)) this.logMetric(key, value, { ...options, timestamp });
  }

  async logParam(key: string, value: unknown): Promise<void> {
    await this.logParams({ [key]: value });
  }

  /** Values are stringified as MLflow's client does (`0.05` → `"0.05"`). */
  async logParams(params: Record<string, unknown>): Promise<void> {
    this.assertOpen();
    await this.sendInChunks(
      Object.entries(params).map(([key, value]) => ({ key, value: String(value) })),
      (chunk) => ({ params: chunk }),
    );
  }

  async setTag(key: string, value: string): Promise<void> {
    await this.setTags({ [key]: value });
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    this.assertOpen();
    await this.sendInChunks(
      Object.entries(tags).map(([key, value]) => ({ key, value: String(value) })),
      (chunk) => ({ tags: chunk }),
    );
  }

  private async sendInChunks(items: KeyValue[], wrap: (chunk: KeyValue[]) => { params?: KeyValue[]; tags?: KeyValue[] }): Promise<void> {
    for (let i = 0; i < items.length; i += MAX_PARAMS_TAGS_PER_BATCH)
      await this.client.logBatch(this.runId, wrap(items.slice(i, i + MAX_PARAMS_TAGS_PER_BATCH)));
  }

  /** Uploads a file to the run's artifacts, under `artifactPath` if given; returns its run-relative path. */
  logArtifact(localPath: string, artifactPath?: string): Promise<string> {
    return this.client.uploadArtifact(this.runId, localPath, artifactPath, { artifactUri: this.info.artifact_uri });
  }

  /** Uploads a directory's files (recursively) under `artifactPath`. */
  logArtifacts(localDir: string, artifactPath?: string): Promise<string[]> {
    return this.client.uploadArtifacts(this.runId, localDir, artifactPath, { artifactUri: this.info.artifact_uri });
  }

  /** Sends this run's buffered metrics now. */
  flush(): Promise<void> {
    return this.buffer.flush(this.runId);
  }

  /**
   * Flushes the metrics and ends the run (idempotent). If the metrics cannot be sent the run is
   * still ended, then the flush error is thrown: a run must not stay RUNNING because of it.
   */
  async end(status: RunStatus = 'FINISHED'): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.stopHeartbeat();
    openRuns.delete(this);
    let flushError: unknown;
    try {
      await this.buffer.flush(this.runId);
    } catch (error) {
      flushError = error;
      const lost = this.buffer.discard(this.runId);
      if (lost > 0) warn(`cairn: ${lost} metric points of run ${this.runId} could not be sent`);
    }
    await this.client.setTerminated(this.runId, status);
    if (flushError !== undefined) throw flushError;
  }

  /** Ends the run FAILED. */
  fail(): Promise<void> {
    return this.end('FAILED');
  }

  /**
   * `await using run = await startRun(…)` ends the run when the block exits. JavaScript does not
   * tell a disposer whether the block threw, so this ends it FINISHED unless `fail()` ran first;
   * use the callback form of `startRun` to get FAILED on a throw automatically.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.end('FINISHED');
  }
}

/** The innermost run still open in this async context: the enclosing callback's, or a manual one started after it. */
export function activeRun(): ActiveRun | undefined {
  const scoped = scope.getStore();
  let innermost = scoped !== undefined && !scoped.isEnded ? scoped : undefined;
  for (const run of openRuns) if (manualRuns.has(run) && run.sequence > (innermost?.sequence ?? 0)) innermost = run;
  return innermost;
}

function requireActiveRun(): ActiveRun {
  const run = activeRun();
  if (run === undefined) throw new Error('No active run: call startRun() first.');
  return run;
}

async function createRun(options: StartRunOptions): Promise<ActiveRun> {
  const parent = activeRun();
  if (parent !== undefined && !options.nested) {
    throw new Error(`Run ${parent.runId} is already active. To start a nested run, call startRun with nested: true.`);
  }
  const client = getClient();
  const provenance =
    options.provenance === false ? {} : await collectProvenance(options.provenance === true || options.provenance === undefined ? {} : options.provenance);
  const tags: Record<string, string> = {
    ...provenance,
    ...(parent !== undefined ? { 'mlflow.parentRunId': parent.runId } : {}),
    ...(options.description !== undefined ? { 'mlflow.note.content': options.description } : {}),
    ...options.tags,
  };
  const experimentId =
    options.experimentId ?? (parent !== undefined ? parent.experimentId : undefined) ?? state.experimentId ?? process.env['MLFLOW_EXPERIMENT_ID'] ?? '0';
  const run = await client.createRun({ experimentId, runName: options.runName, tags });
  const active = new ActiveRun(client, run.info, parent?.runId, options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS);
  openRuns.add(active);
  installExitHooks();
  return active;
}

/**
 * Starts a run. With a callback, the run is active inside it and ends when it settles: FINISHED
 * when it resolves, FAILED when it throws (the error is rethrown); its value is returned. Without,
 * the run is returned for `await using` (or an explicit `end()`).
 */
export function startRun(options?: StartRunOptions): Promise<ActiveRun>;
export function startRun<T>(options: StartRunOptions, body: (run: ActiveRun) => Promise<T> | T): Promise<T>;
export async function startRun<T>(options: StartRunOptions = {}, body?: (run: ActiveRun) => Promise<T> | T): Promise<ActiveRun | T> {
  const run = await createRun(options);
  if (body === undefined) {
    manualRuns.add(run);
    return run;
  }
  let result: T;
  try {
    result = await scope.run(run, () => body(run));
  } catch (error) {
    try {
      await run.end('FAILED');
    } catch (endError) {
      warn(`cairn: could not end run ${run.runId} as FAILED: ${(endError as Error).message}`);
    }
    throw error;
  }
  await run.end('FINISHED');
  return result;
}

/** Ends the innermost active run (MLflow's `end_run`). */
export async function endRun(status: RunStatus = 'FINISHED'): Promise<void> {
  await activeRun()?.end(status);
}

export function logMetric(key: string, value: number, options?: MetricOptions): void {
  requireActiveRun().logMetric(key, value, options);
}

export function logMetrics(metrics: Record<string, number>, options?: MetricOptions): void {
  requireActiveRun().logMetrics(metrics, options);
}

export function logParam(key: string, value: unknown): Promise<void> {
  return requireActiveRun().logParam(key, value);
}

export function logParams(params: Record<string, unknown>): Promise<void> {
  return requireActiveRun().logParams(params);
}

export function setTag(key: string, value: string): Promise<void> {
  return requireActiveRun().setTag(key, value);
}

export function setTags(tags: Record<string, string>): Promise<void> {
  return requireActiveRun().setTags(tags);
}

export function logArtifact(localPath: string, artifactPath?: string): Promise<string> {
  return requireActiveRun().logArtifact(localPath, artifactPath);
}

export function logArtifacts(localDir: string, artifactPath?: string): Promise<string[]> {
  return requireActiveRun().logArtifacts(localDir, artifactPath);
}

/** Sends every buffered metric point of every run now. Call it before `process.exit()`. */
export async function flush(): Promise<void> {
  const results = await Promise.allSettled([...buffers.values()].map((b) => b.flush()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

function buffered(): number {
  let n = 0;
  for (const b of buffers.values()) n += b.size;
  return n;
}

let hooksInstalled = false;
let exiting = false;

/**
 * When the event loop runs dry (`beforeExit`), buffered metrics are sent and runs still open are
 * ended (FINISHED, or FAILED if `process.exitCode` is set), as MLflow's atexit hook ends the active
 * run. `process.exit()` and signals skip `beforeExit`, and `exit` allows no async work: there we
 * can only say what was lost, so call `await flush()` (or end the run) before `process.exit()`.
 */
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('beforeExit', () => {
    if (exiting || (buffered() === 0 && openRuns.size === 0)) return;
    exiting = true;
    void (async () => {
      try {
        await flush();
      } catch (error) {
        warn(`cairn: buffered metrics could not be sent before exit: ${(error as Error).message}`);
      }
      for (const run of [...openRuns].reverse()) {
        try {
          await run.end(process.exitCode ? 'FAILED' : 'FINISHED');
        } catch (error) {
          warn(`cairn: could not end run ${run.runId} before exit: ${(error as Error).message}`);
        }
      }
      // Whatever is still buffered could not be sent: drop it rather than loop on beforeExit.
      for (const b of buffers.values()) for (const id of b.runIds()) b.discard(id);
      exiting = false;
    })();
  });
  process.on('exit', () => {
    const lost = buffered();
    if (lost > 0)
      process.stderr.write(`cairn: ${lost} metric points were not sent: the process exited before flushing them (await flush() before process.exit()).\n`);
  });
}
