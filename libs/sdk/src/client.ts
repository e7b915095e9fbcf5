import { createReadStream, createWriteStream, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { encodeArtifactPath, guessContentType, proxiedArtifactUrl } from './artifact-uri';
import { CairnApiError } from './errors';
import { toWireDouble } from './metric-buffer';
import { ensureOk, type Query, Transport, type TransportOptions } from './transport';
import type {
  EnvironmentDiffResponse,
  CreateExperimentRequest,
  CreateExperimentResponse,
  CreateModelVersionRequest,
  CreateRegisteredModelRequest,
  CreateRunRequest,
  CreateTokenRequest,
  CreateTokenResponse,
  CreateWebhookRequest,
  DeleteTagRequest,
  ExperimentIdRequest,
  GcRequest,
  GetExperimentResponse,
  GetLatestVersionsRequest,
  GetLatestVersionsResponse,
  GetMetricHistoryRequest,
  GetMetricHistoryResponse,
  GetModelVersionResponse,
  GetRegisteredModelResponse,
  GetRunResponse,
  GetWebhookDeliveryResponse,
  GetWebhookResponse,
  HeartbeatResponse,
  ListArtifactsResponse,
  ListTokensResponse,
  ListWebhookDeliveriesResponse,
  ListWebhooksResponse,
  LogBatchRequest,
  PromoteRequest,
  RegisteredModelAliasRequest,
  RegisteredModelNameRequest,
  RevokeTokenRequest,
  RunIdRequest,
  RunKeyValueRequest,
  SearchExperimentsRequest,
  SearchExperimentsResponse,
  SearchModelVersionsResponse,
  SearchRegisteredModelsResponse,
  SearchRunsRequest,
  SearchRunsResponse,
  SetRegisteredModelAliasRequest,
  TestWebhookRequest,
  TestWebhookResponse,
  TransitionModelVersionStageRequest,
  UpdateExperimentRequest,
  UpdateRunRequest,
  UpdateRunResponse,
  UpdateWebhookRequest,
  WebhookDeliveryIdRequest,
} from '@cairn/contracts';
import type {
  AliasResolution,
  ApiToken,
  Experiment,
  FileInfo,
  ContextName,
  DeadLetterReplayWire,
  GcResult,
  GetDeadLetterResponse,
  ListDeadLettersResponse,
  ReplayDeadLettersResponse,
  VerifyReadModelResponse,
  ReadModelRebuildWire,
  RebuildReadModelResponse,
  KeyValue,
  Metric,
  ModelAsOf,
  ModelHistory,
  ModelStage,
  ModelVersion,
  ModelVersionLineage,
  Page,
  PromotionDecision,
  RegisteredModel,
  Run,
  RunInfo,
  RunStatus,
  TokenScopeWire,
  ViewType,
  Webhook,
  WebhookDelivery,
  WebhookEvent,
  WebhookTestResult,
} from './wire';

const MLFLOW = '/api/2.0/mlflow';
const CAIRN = '/api/2.0/cairn';

export type CairnClientOptions = TransportOptions;

export interface SearchOptions {
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
}

export interface SearchRunsOptions extends SearchOptions {
  experimentIds: string[];
  runViewType?: ViewType;
}

export interface SearchExperimentsOptions extends SearchOptions {
  viewType?: ViewType;
}

/** Called with bytes done and the total (when known) while a file moves. */
export type ProgressListener = (done: number, total: number | undefined) => void;

export interface PromoteOptions {
  name: string;
  /** A version number or an alias. */
  challenger: string;
  metric: string;
  minDelta?: number;
  direction?: 'higher_is_better' | 'lower_is_better';
  /** The target: a stage (default Production) or an alias, not both. */
  stage?: ModelStage;
  alias?: string;
  archiveExistingVersions?: boolean;
}

export type CreateWebhookOptions = CreateWebhookRequest;

const asList = <T>(items: T[] | undefined): T[] => items ?? [];
const tagList = (tags?: Record<string, string>): KeyValue[] | undefined => (tags ? Object.entries(tags).map(([key, value]) => ({ key, value })) : undefined);

/**
 * The Cairn (and MLflow) REST API, one method per call, in the spirit of `MlflowClient`. Results are
 * the server's JSON objects as documented in the MLflow REST reference; lists come back as
 * `{items, nextPageToken}` pages, or whole with the `…All` helpers.
 */
export class CairnClient {
  readonly transport: Transport;

  constructor(options: CairnClientOptions | string = {}) {
    this.transport = new Transport(typeof options === 'string' ? { trackingUri: options } : options);
  }

  get trackingUri(): string {
    return this.transport.trackingUri;
  }

  private get<T>(route: string, query?: Query): Promise<T> {
    return this.transport.request<T>('GET', route, { query });
  }

  private send<T>(method: 'POST' | 'PATCH' | 'DELETE', route: string, body: unknown, idempotent = true): Promise<T> {
    return this.transport.request<T>(method, route, { body, idempotent });
  }

  /** Every page of a paginated listing, in order. */
  async all<T>(fetchPage: (pageToken?: string) => Promise<Page<T>>): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const page = await fetchPage(token);
      items.push(...page.items);
      token = page.nextPageToken;
    } while (token);
    return items;
  }

  // ---- experiments --------------------------------------------------------------------------

  async createExperiment(name: string, options: { artifactLocation?: string; tags?: Record<string, string> } = {}): Promise<string> {
    const body = { name, artifact_location: options.artifactLocation, tags: tagList(options.tags) } satisfies CreateExperimentRequest;
    return (await this.send<CreateExperimentResponse>('POST', `${MLFLOW}/experiments/create`, body, false)).experiment_id;
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return (await this.get<GetExperimentResponse>(`${MLFLOW}/experiments/get`, { experiment_id: experimentId })).experiment;
  }

  /** The experiment of that name (a deleted one included, as MLflow answers), or undefined. */
  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      return (await this.get<GetExperimentResponse>(`${MLFLOW}/experiments/get-by-name`, { experiment_name: name })).experiment;
    } catch (error) {
      // MLflow's client branches on exactly this code (RestStore.get_experiment_by_name).
      if (error instanceof CairnApiError && error.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw error;
    }
  }

  async searchExperiments(options: SearchExperimentsOptions = {}): Promise<Page<Experiment>> {
    const r = await this.send<SearchExperimentsResponse>('POST', `${MLFLOW}/experiments/search`, {
      filter: options.filter,
      order_by: options.orderBy,
      max_results: options.maxResults,
      page_token: options.pageToken,
      view_type: options.viewType,
    } satisfies SearchExperimentsRequest);
    return { items: asList(r.experiments), nextPageToken: r.next_page_token };
  }

  listExperiments(options: Omit<SearchExperimentsOptions, 'pageToken'> = {}): Promise<Experiment[]> {
    return this.all((pageToken) => this.searchExperiments({ ...options, pageToken }));
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    await this.send('POST', `${MLFLOW}/experiments/update`, { experiment_id: experimentId, new_name: newName } satisfies UpdateExperimentRequest);
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.send('POST', `${MLFLOW}/experiments/delete`, { experiment_id: experimentId } satisfies ExperimentIdRequest);
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.send('POST', `${MLFLOW}/experiments/restore`, { experiment_id: experimentId } satisfies ExperimentIdRequest);
  }

  // ---- runs ---------------------------------------------------------------------------------

  async createRun(options: { experimentId: string; runName?: string; startTime?: number; tags?: Record<string, string>; userId?: string }): Promise<Run> {
    const body = {
      experiment_id: options.experimentId,
      run_name: options.runName,
      start_time: options.startTime ?? Date.now(),
      user_id: options.userId ?? options.tags?.['mlflow.user'],
      tags: tagList(options.tags),
    } satisfies CreateRunRequest;
    return (await this.send<GetRunResponse>('POST', `${MLFLOW}/runs/create`, body, false)).run;
  }

  async getRun(runId: string): Promise<Run> {
    return (await this.get<GetRunResponse>(`${MLFLOW}/runs/get`, { run_id: runId })).run;
  }

  async updateRun(runId: string, update: { status?: RunStatus; endTime?: number; runName?: string }): Promise<RunInfo> {
    const body = { run_id: runId, run_uuid: runId, status: update.status, end_time: update.endTime, run_name: update.runName } satisfies UpdateRunRequest;
    return (await this.send<UpdateRunResponse>('POST', `${MLFLOW}/runs/update`, body)).run_info;
  }

  /** Ends a run as MLflow's `end_run` does: a status and the end time. */
  setTerminated(runId: string, status: RunStatus = 'FINISHED', endTime = Date.now()): Promise<RunInfo> {
    return this.updateRun(runId, { status, endTime });
  }

  async searchRuns(options: SearchRunsOptions): Promise<Page<Run>> {
    const r = await this.send<SearchRunsResponse>('POST', `${MLFLOW}/runs/search`, {
      experiment_ids: options.experimentIds,
      filter: options.filter,
      run_view_type: options.runViewType,
      max_results: options.maxResults,
      order_by: options.orderBy,
      page_token: options.pageToken,
    } satisfies SearchRunsRequest);
    return { items: asList(r.runs), nextPageToken: r.next_page_token };
  }

  async deleteRun(runId: string): Promise<void> {
    await this.send('POST', `${MLFLOW}/runs/delete`, { run_id: runId } satisfies RunIdRequest);
  }

  async restoreRun(runId: string): Promise<void> {
    await this.send('POST', `${MLFLOW}/runs/restore`, { run_id: runId } satisfies RunIdRequest);
  }

  /** One `runs/log-batch` (≤ 1000 metrics, ≤ 100 params, ≤ 100 tags); NaN/±Infinity sent as protobuf JSON strings. */
  async logBatch(runId: string, batch: { metrics?: Metric[]; params?: KeyValue[]; tags?: KeyValue[] }): Promise<void> {
    const metrics = batch.metrics?.map((m) => ({ ...m, value: typeof m.value === 'number' ? toWireDouble(m.value) : m.value }));
    await this.send('POST', `${MLFLOW}/runs/log-batch`, { run_id: runId, metrics, params: batch.params, tags: batch.tags } satisfies LogBatchRequest);
  }

  async logMetric(runId: string, key: string, value: number, options: { step?: number; timestamp?: number } = {}): Promise<void> {
    await this.logBatch(runId, { metrics: [{ key, value: toWireDouble(value), timestamp: options.timestamp ?? Date.now(), step: options.step ?? 0 }] });
  }

  async logParam(runId: string, key: string, value: unknown): Promise<void> {
    await this.send('POST', `${MLFLOW}/runs/log-parameter`, { run_id: runId, run_uuid: runId, key, value: String(value) } satisfies RunKeyValueRequest);
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.send('POST', `${MLFLOW}/runs/set-tag`, { run_id: runId, run_uuid: runId, key, value } satisfies RunKeyValueRequest);
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.send('POST', `${MLFLOW}/runs/delete-tag`, { run_id: runId, key } satisfies DeleteTagRequest);
  }

  /** Every point logged for the key, all pages. */
  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    return this.all(async (pageToken) => {
      const r = await this.get<GetMetricHistoryResponse>(`${MLFLOW}/metrics/get-history`, {
        run_id: runId,
        metric_key: key,
        page_token: pageToken,
      } satisfies GetMetricHistoryRequest);
      return { items: asList(r.metrics), nextPageToken: r.next_page_token };
    });
  }

  /** Tells the server the run is alive (Cairn closes silent RUNNING runs as KILLED); answers its current status. */
  async heartbeat(runId: string): Promise<HeartbeatResponse> {
    return this.send<HeartbeatResponse>('POST', `${CAIRN}/runs/heartbeat`, { run_id: runId } satisfies RunIdRequest);
  }

  /** The package versions that differ between two runs' recorded Python environments (`cairn run` records them). */
  async environmentDiff(runA: string, runB: string): Promise<EnvironmentDiffResponse> {
    return this.get<EnvironmentDiffResponse>(`${CAIRN}/runs/environment-diff`, { run_a: runA, run_b: runB });
  }

  // ---- artifacts ----------------------------------------------------------------------------

  /** Run-relative listing of one directory (`artifacts/list`). */
  async listArtifacts(runId: string, artifactPath?: string): Promise<{ root_uri?: string; files: FileInfo[] }> {
    const r = await this.get<ListArtifactsResponse>(`${MLFLOW}/artifacts/list`, {
      run_id: runId,
      path: artifactPath || undefined,
    });
    return { root_uri: r.root_uri, files: asList(r.files) };
  }

  /** Every file under a directory of the run's artifacts, recursively. */
  async listArtifactFiles(runId: string, artifactPath?: string): Promise<FileInfo[]> {
    const files: FileInfo[] = [];
    for (const f of (await this.listArtifacts(runId, artifactPath)).files) {
      if (f.is_dir) files.push(...(await this.listArtifactFiles(runId, f.path)));
      else files.push(f);
    }
    return files;
  }

  private async artifactBase(runId: string, artifactUri?: string): Promise<string> {
    return proxiedArtifactUrl(artifactUri ?? (await this.getRun(runId)).info.artifact_uri, this.trackingUri);
  }

  /**
   * Uploads one file as MLflow's client does for `mlflow-artifacts:` roots: a raw streamed
   * `PUT /api/2.0/mlflow-artifacts/artifacts/<exp>/<run>/artifacts/<artifactPath>/<basename>`.
   * A PUT of the same bytes to the same path is idempotent, so transient failures are retried.
   */
  async uploadArtifact(
    runId: string,
    localFile: string,
    artifactPath?: string,
    options: { artifactUri?: string; onProgress?: ProgressListener } = {},
  ): Promise<string> {
    const base = await this.artifactBase(runId, options.artifactUri);
    const relative = [artifactPath, path.basename(localFile)].filter(Boolean).join('/');
    const url = `${base}/${encodeArtifactPath(relative)}`;
    const size = statSync(localFile).size;
    await this.transport.withRetries(`PUT ${relative}`, true, async () => {
      const body = Readable.toWeb(createReadStream(localFile).pipe(progressCounter(size, options.onProgress)));
      const response = await this.transport.fetchOnce(url, {
        method: 'PUT',
        headers: { 'content-type': guessContentType(localFile), 'content-length': String(size) },
        body: body as unknown as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      await (await ensureOk(response, `PUT ${relative}`)).body?.cancel();
    });
    return relative;
  }

  /** Uploads a directory tree under `artifactPath`, file by file; returns the run-relative paths. */
  async uploadArtifacts(
    runId: string,
    localDir: string,
    artifactPath?: string,
    options: { artifactUri?: string; onProgress?: (file: string) => ProgressListener | undefined } = {},
  ): Promise<string[]> {
    const artifactUri = options.artifactUri ?? (await this.getRun(runId)).info.artifact_uri;
    const uploaded: string[] = [];
    const walk = async (dir: string, prefix: string | undefined) => {
      for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full, [prefix, entry.name].filter(Boolean).join('/'));
        else if (entry.isFile()) uploaded.push(await this.uploadArtifact(runId, full, prefix, { artifactUri, onProgress: options.onProgress?.(full) }));
      }
    };
    await walk(localDir, artifactPath || undefined);
    return uploaded;
  }

  /** Downloads one artifact file to `destFile` (streamed). */
  async downloadArtifact(
    runId: string,
    artifactPath: string,
    destFile: string,
    options: { artifactUri?: string; onProgress?: ProgressListener } = {},
  ): Promise<string> {
    const base = await this.artifactBase(runId, options.artifactUri);
    const url = `${base}/${encodeArtifactPath(artifactPath)}`;
    await this.transport.withRetries(`GET ${artifactPath}`, true, async () => {
      const response = await ensureOk(await this.transport.fetchOnce(url, { method: 'GET' }), `GET ${artifactPath}`);
      const total = Number(response.headers.get('content-length'));
      mkdirSync(path.dirname(destFile), { recursive: true });
      if (response.body === null) throw new Error(`GET ${artifactPath}: empty response`);
      await pipeline(
        Readable.fromWeb(response.body as WebReadableStream),
        progressCounter(Number.isFinite(total) && total > 0 ? total : undefined, options.onProgress),
        createWriteStream(destFile),
      );
    });
    return destFile;
  }

  // ---- model registry -----------------------------------------------------------------------

  async createRegisteredModel(name: string, options: { description?: string; tags?: Record<string, string> } = {}): Promise<RegisteredModel> {
    const body = { name, description: options.description, tags: tagList(options.tags) } satisfies CreateRegisteredModelRequest;
    return (await this.send<GetRegisteredModelResponse>('POST', `${MLFLOW}/registered-models/create`, body, false)).registered_model;
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return (await this.get<GetRegisteredModelResponse>(`${MLFLOW}/registered-models/get`, { name })).registered_model;
  }

  async searchRegisteredModels(options: SearchOptions = {}): Promise<Page<RegisteredModel>> {
    const r = await this.get<SearchRegisteredModelsResponse>(`${MLFLOW}/registered-models/search`, {
      filter: options.filter,
      max_results: options.maxResults,
      order_by: options.orderBy,
      page_token: options.pageToken,
    });
    return { items: asList(r.registered_models), nextPageToken: r.next_page_token };
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    await this.send('DELETE', `${MLFLOW}/registered-models/delete`, { name } satisfies RegisteredModelNameRequest);
  }

  async createModelVersion(
    name: string,
    source: string,
    options: { runId?: string; tags?: Record<string, string>; description?: string; runLink?: string } = {},
  ): Promise<ModelVersion> {
    const body = {
      name,
      source,
      run_id: options.runId,
      tags: tagList(options.tags),
      description: options.description,
      run_link: options.runLink,
    } satisfies CreateModelVersionRequest;
    return (await this.send<GetModelVersionResponse>('POST', `${MLFLOW}/model-versions/create`, body, false)).model_version;
  }

  /**
   * MLflow's `register_model`: creates the registered model unless it exists (the code MLflow's
   * client tolerates, RESOURCE_ALREADY_EXISTS), then a new version of `source`.
   */
  async registerModel(
    name: string,
    source: string,
    options: { runId?: string; tags?: Record<string, string>; description?: string } = {},
  ): Promise<ModelVersion> {
    try {
      await this.createRegisteredModel(name);
    } catch (error) {
      if (!(error instanceof CairnApiError && (error.errorCode === 'RESOURCE_ALREADY_EXISTS' || error.errorCode === 'ALREADY_EXISTS'))) throw error;
    }
    return this.createModelVersion(name, source, options);
  }

  async getModelVersion(name: string, version: string | number): Promise<ModelVersion> {
    return (await this.get<GetModelVersionResponse>(`${MLFLOW}/model-versions/get`, { name, version: String(version) })).model_version;
  }

  async searchModelVersions(options: SearchOptions = {}): Promise<Page<ModelVersion>> {
    const r = await this.get<SearchModelVersionsResponse>(`${MLFLOW}/model-versions/search`, {
      filter: options.filter,
      max_results: options.maxResults,
      order_by: options.orderBy,
      page_token: options.pageToken,
    });
    return { items: asList(r.model_versions), nextPageToken: r.next_page_token };
  }

  /** The highest version in each requested stage (all four when none are given). */
  async getLatestVersions(name: string, stages?: ModelStage[]): Promise<ModelVersion[]> {
    return asList(
      (
        await this.send<GetLatestVersionsResponse>('POST', `${MLFLOW}/registered-models/get-latest-versions`, {
          name,
          stages,
        } satisfies GetLatestVersionsRequest)
      ).model_versions,
    );
  }

  async transitionModelVersionStage(
    name: string,
    version: string | number,
    stage: ModelStage,
    options: { archiveExistingVersions?: boolean } = {},
  ): Promise<ModelVersion> {
    const body = {
      name,
      version: String(version),
      stage,
      archive_existing_versions: options.archiveExistingVersions ?? false,
    } satisfies TransitionModelVersionStageRequest;
    return (await this.send<GetModelVersionResponse>('POST', `${MLFLOW}/model-versions/transition-stage`, body)).model_version;
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string | number): Promise<void> {
    await this.send('POST', `${MLFLOW}/registered-models/alias`, { name, alias, version: String(version) } satisfies SetRegisteredModelAliasRequest);
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return (await this.get<GetModelVersionResponse>(`${MLFLOW}/registered-models/alias`, { name, alias })).model_version;
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.send('DELETE', `${MLFLOW}/registered-models/alias`, { name, alias } satisfies RegisteredModelAliasRequest);
  }

  // ---- Cairn registry extensions (libs/registry/openapi.yaml) -------------------------------

  /** Every change of a registered model, oldest first: who, when, what, before and after. */
  getModelHistory(name: string): Promise<ModelHistory> {
    return this.get<ModelHistory>(`${CAIRN}/registered-models/history`, { name });
  }

  /** Which version held an alias, or which versions were in a stage, at `asOf` (epoch ms, Date or ISO-8601). */
  getModelAsOf(name: string, asOf: number | string | Date, options: { alias?: string; stage?: ModelStage } = {}): Promise<ModelAsOf> {
    const at = asOf instanceof Date ? asOf.getTime() : asOf;
    return this.get<ModelAsOf>(`${CAIRN}/registered-models/as-of`, { name, as_of: at, alias: options.alias, stage: options.stage });
  }

  /** Version → run → experiment, params, final metrics, code commit, data version, environment files. */
  getModelVersionLineage(name: string, version: string | number): Promise<ModelVersionLineage> {
    return this.get<ModelVersionLineage>(`${CAIRN}/model-versions/lineage`, { name, version: String(version) });
  }

  /**
   * What an alias points at. With the `etag` of a previous answer and `waitSeconds`, the server holds
   * the request until the alias moves (≤ 60 s): `changed: false` means it did not.
   */
  async resolveAlias(
    name: string,
    alias: string,
    options: { etag?: string; waitSeconds?: number } = {},
  ): Promise<{ changed: boolean; etag?: string; resolution?: AliasResolution }> {
    const wait = options.etag !== undefined && options.waitSeconds !== undefined ? `${options.waitSeconds}s` : undefined;
    const r = await this.transport.requestRaw<AliasResolution | Record<string, never>>('GET', `${CAIRN}/registered-models/alias/resolve`, {
      query: { name, alias, wait },
      headers: options.etag !== undefined ? { 'if-none-match': options.etag } : {},
      acceptStatuses: [304],
      timeoutMs: ((options.waitSeconds ?? 0) + 30) * 1000,
    });
    const etag = r.headers.get('etag') ?? undefined;
    if (r.status === 304) return { changed: false, etag: etag ?? options.etag };
    return { changed: true, etag, resolution: r.json as AliasResolution };
  }

  /**
   * Calls `onChange` with the alias's target now and every time it moves, long-polling the server,
   * until `signal` aborts. Serving pods use it to hot-swap a model without polling in a tight loop.
   */
  async watchAlias(
    name: string,
    alias: string,
    onChange: (resolution: AliasResolution) => void | Promise<void>,
    options: { signal?: AbortSignal; waitSeconds?: number } = {},
  ): Promise<void> {
    let etag: string | undefined;
    while (!options.signal?.aborted) {
      const r = await this.resolveAlias(name, alias, { etag, waitSeconds: etag === undefined ? undefined : (options.waitSeconds ?? 30) });
      etag = r.etag;
      if (r.changed && r.resolution !== undefined && !options.signal?.aborted) await onChange(r.resolution);
    }
  }

  /** Champion/challenger: compare the runs' final `metric`, promote the challenger if it wins by `minDelta`. */
  promote(options: PromoteOptions): Promise<PromotionDecision> {
    return this.send<PromotionDecision>(
      'POST',
      `${CAIRN}/registered-models/promote`,
      {
        name: options.name,
        challenger: options.challenger,
        metric: options.metric,
        min_delta: options.minDelta,
        direction: options.direction,
        stage: options.stage,
        alias: options.alias,
        archive_existing_versions: options.archiveExistingVersions,
      } satisfies PromoteRequest,
      false,
    );
  }

  // ---- webhooks (MLflow 3.3+ paths, Cairn delivery log) -------------------------------------

  async createWebhook(options: CreateWebhookOptions): Promise<Webhook> {
    return (await this.send<GetWebhookResponse>('POST', `${MLFLOW}/webhooks`, { ...options } satisfies CreateWebhookRequest, false)).webhook;
  }

  async listWebhooks(options: { maxResults?: number; pageToken?: string } = {}): Promise<Page<Webhook>> {
    const r = await this.get<ListWebhooksResponse>(`${MLFLOW}/webhooks`, {
      max_results: options.maxResults,
      page_token: options.pageToken,
    });
    return { items: asList(r.webhooks), nextPageToken: r.next_page_token };
  }

  async getWebhook(webhookId: string): Promise<Webhook> {
    return (await this.get<GetWebhookResponse>(`${MLFLOW}/webhooks/${encodeURIComponent(webhookId)}`)).webhook;
  }

  async updateWebhook(webhookId: string, update: Partial<CreateWebhookOptions>): Promise<Webhook> {
    return (await this.send<GetWebhookResponse>('PATCH', `${MLFLOW}/webhooks/${encodeURIComponent(webhookId)}`, { ...update } satisfies UpdateWebhookRequest))
      .webhook;
  }

  async deleteWebhook(webhookId: string): Promise<void> {
    await this.send('DELETE', `${MLFLOW}/webhooks/${encodeURIComponent(webhookId)}`, {});
  }

  /** Sends a test event now (the first subscribed event unless one is given). */
  async testWebhook(webhookId: string, event?: WebhookEvent): Promise<WebhookTestResult> {
    return (
      await this.send<TestWebhookResponse>('POST', `${MLFLOW}/webhooks/${encodeURIComponent(webhookId)}/test`, { event } satisfies TestWebhookRequest, false)
    ).result;
  }

  async listWebhookDeliveries(options: { webhookId?: string; maxResults?: number; pageToken?: string } = {}): Promise<Page<WebhookDelivery>> {
    const r = await this.get<ListWebhookDeliveriesResponse>(`${CAIRN}/webhooks/deliveries`, {
      webhook_id: options.webhookId,
      max_results: options.maxResults,
      page_token: options.pageToken,
    });
    return { items: asList(r.deliveries), nextPageToken: r.next_page_token };
  }

  async redeliverWebhookDelivery(deliveryId: string): Promise<WebhookDelivery> {
    return (
      await this.send<GetWebhookDeliveryResponse>(
        'POST',
        `${CAIRN}/webhooks/deliveries/redeliver`,
        { delivery_id: deliveryId } satisfies WebhookDeliveryIdRequest,
        false,
      )
    ).delivery;
  }

  // ---- machine tokens (Cairn: /api/2.0/cairn/tokens) ----------------------------------------

  /**
   * A scoped, expiring bearer token for a CI pipeline or a serving pod. The answer's `secret` is the
   * only copy: the server keeps its hash. Use it as MLFLOW_TRACKING_TOKEN.
   */
  createToken(options: {
    name: string;
    /** Another user's token (admins only); the caller's by default. */
    username?: string;
    scopes?: TokenScopeWire[];
    servingOnly?: boolean;
    admin?: boolean;
    expiresInDays?: number;
  }): Promise<CreateTokenResponse> {
    return this.send<CreateTokenResponse>(
      'POST',
      `${CAIRN}/tokens/create`,
      {
        name: options.name,
        username: options.username,
        scopes: options.scopes,
        serving_only: options.servingOnly,
        admin: options.admin,
        expires_in_days: options.expiresInDays,
      } satisfies CreateTokenRequest,
      false,
    );
  }

  /** The caller's tokens (an admin: everyone's, or one user's with `username`), without secrets. */
  async listTokens(options: { username?: string } = {}): Promise<ApiToken[]> {
    return asList((await this.get<ListTokensResponse>(`${CAIRN}/tokens/list`, { username: options.username })).tokens);
  }

  /** Refused from the next request on, on every replica. */
  async revokeToken(tokenId: string): Promise<void> {
    await this.send('POST', `${CAIRN}/tokens/revoke`, { token_id: tokenId } satisfies RevokeTokenRequest);
  }

  // ---- maintenance --------------------------------------------------------------------------

  /**
   * Purges runs and experiments deleted more than `olderThanDays` ago (the server's retention when
   * omitted); runs still referenced by model versions are skipped and reported. `dryRun` only reports.
   */
  gc(options: { dryRun?: boolean; olderThanDays?: number } = {}): Promise<GcResult> {
    return this.send<GcResult>('POST', `${CAIRN}/gc`, { dry_run: options.dryRun ?? false, older_than_days: options.olderThanDays } satisfies GcRequest);
  }

  // ---- operator tools (admins only; docs/operations.md) ------------------------------------

  /** One page of a context's dead letters, oldest first (discarded ones only with `includeDiscarded`). */
  listDeadLetters(
    context: ContextName,
    options: { consumer?: string; maxResults?: number; pageToken?: string; includeDiscarded?: boolean } = {},
  ): Promise<ListDeadLettersResponse> {
    return this.get<ListDeadLettersResponse>(`${CAIRN}/admin/dead-letters/${encodeURIComponent(context)}`, {
      consumer: options.consumer,
      max_results: options.maxResults,
      page_token: options.pageToken,
      include_discarded: options.includeDiscarded,
    });
  }

  async getDeadLetter(context: ContextName, id: string): Promise<GetDeadLetterResponse['dead_letter']> {
    const r = await this.get<GetDeadLetterResponse>(`${CAIRN}/admin/dead-letters/${encodeURIComponent(context)}/${encodeURIComponent(id)}`);
    return r.dead_letter;
  }

  /** Applies one dead letter through its consumer again; `failed` keeps it, with the new error. */
  replayDeadLetter(context: ContextName, id: string): Promise<DeadLetterReplayWire> {
    return this.send<DeadLetterReplayWire>('POST', `${CAIRN}/admin/dead-letters/${encodeURIComponent(context)}/${encodeURIComponent(id)}/replay`, {}, false);
  }

  /** Replays every pending dead letter of a context (of one consumer, if given). */
  replayDeadLetters(context: ContextName, options: { consumer?: string } = {}): Promise<ReplayDeadLettersResponse> {
    return this.send<ReplayDeadLettersResponse>(
      'POST',
      `${CAIRN}/admin/dead-letters/${encodeURIComponent(context)}/replay`,
      { consumer: options.consumer },
      false,
    );
  }

  /** Gives up on a dead letter; it is kept, with who discarded it and `reason`. */
  async discardDeadLetter(context: ContextName, id: string, reason: string): Promise<GetDeadLetterResponse['dead_letter']> {
    const r = await this.send<GetDeadLetterResponse>('POST', `${CAIRN}/admin/dead-letters/${encodeURIComponent(context)}/${encodeURIComponent(id)}/discard`, {
      reason,
    });
    return r.dead_letter;
  }

  /** A context's read model against a rebuild from its event logs; rows that differ are reported, nothing is changed. */
  verifyReadModel(context: ContextName): Promise<VerifyReadModelResponse> {
    return this.send<VerifyReadModelResponse>('POST', `${CAIRN}/admin/read-models/${encodeURIComponent(context)}/verify`, {});
  }

  /** Starts an online rebuild of a context's read model (shadow tables, swapped in at the end); answers at once with its progress. */
  async rebuildReadModel(context: ContextName): Promise<ReadModelRebuildWire> {
    return (await this.send<RebuildReadModelResponse>('POST', `${CAIRN}/admin/read-models/${encodeURIComponent(context)}/rebuild`, {}, false)).rebuild;
  }

  /** The latest rebuild of a context's read model: state, phase, events applied of total. */
  async getReadModelRebuild(context: ContextName): Promise<ReadModelRebuildWire> {
    return (await this.get<RebuildReadModelResponse>(`${CAIRN}/admin/read-models/${encodeURIComponent(context)}/rebuild`)).rebuild;
  }

  /**
   * The event logs for audit, as the server streams them: NDJSON, one event a line (`position` and
   * the envelope), each context in position order. `since`/`until`: ISO 8601 or epoch milliseconds.
   */
  async exportEvents(options: { context?: ContextName; since?: string; until?: string } = {}): Promise<Readable> {
    const url = this.transport.url(`${CAIRN}/admin/events`, { context: options.context, since: options.since, until: options.until });
    const response = await ensureOk(await this.transport.fetchOnce(url, { method: 'GET' }), 'GET events');
    if (response.body === null) throw new Error('GET events: empty response');
    return Readable.fromWeb(response.body as WebReadableStream);
  }
}

function progressCounter(total: number | undefined, onProgress: ProgressListener | undefined): Transform {
  let done = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      onProgress?.(done, total);
      callback(null, chunk);
    },
  });
}
