import { Readable } from 'node:stream';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import {
  CairnError,
  fromQuery,
  invalidParameter,
  notFound,
  objectBody as body,
  parseRequest,
  withRunId,
  type CreateExperimentResponse,
  type GetExperimentResponse,
  type GetLoggedModelResponse,
  type GetMetricHistoryBulkIntervalResponse,
  type GetMetricHistoryResponse,
  type GetRunResponse,
  type MetricPoint,
  type SearchDatasetsResponse,
  type SearchExperimentsResponse,
  type SearchLoggedModelsResponse,
  type SearchRunsResponse,
  type UpdateRunResponse,
  isLoggedModelId,
} from '@cairn/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TrackingCommands } from '../application/tracking-commands';
import { TrackingQueries } from '../application/tracking-queries';
import { LIMITS } from '../domain/limits';
import { toWireDouble } from '../domain/metrics';
import {
  validateArtifactLocation,
  validateBulkInterval,
  validateEntityKey,
  validateExperimentTag,
  validateLength,
  validateLogBatch,
  validateParamValue,
  validateTagValue,
} from '../domain/validation';
import { AccessRules, accessOf, eventMetadataOf as metadataOf } from '@cairn/platform';
import * as s from './schemas';
import { experimentJson, loggedModelJson, metricJson, runInfoJson, runJson } from './wire';
import { TRACKING_ACCESS } from './tracking.access';

type Body_ = Record<string, unknown> | undefined;

const GET_HISTORY_MAX_RESULTS = 25_000;

/**
 * MLflow's tracking REST API (mlflow-api.md §4), served under `/api/2.0/mlflow` and, for the web UI,
 * `/ajax-api/2.0/mlflow`. Every POST answers 200 (the client rejects anything else).
 */
@Controller(['api/2.0/mlflow', 'ajax-api/2.0/mlflow'])
@AccessRules(TRACKING_ACCESS)
export class TrackingController {
  constructor(
    @Inject(TrackingCommands) private readonly commands: TrackingCommands,
    @Inject(TrackingQueries) private readonly queries: TrackingQueries,
  ) {}

  // ---- experiments -----------------------------------------------------------------------------

  @Post('experiments/create')
  @HttpCode(200)
  async createExperiment(@Body() b: Body_, @Req() req: FastifyRequest): Promise<CreateExperimentResponse> {
    const dto = parseRequest(s.createExperiment, b);
    const artifactLocation = dto.artifact_location ? validateArtifactLocation(dto.artifact_location) : undefined;
    dto.tags.forEach((t) => validateExperimentTag(t.key, t.value));
    const experimentId = await this.commands.createExperiment(
      { name: dto.name, ...(artifactLocation !== undefined ? { artifactLocation } : {}), tags: dto.tags },
      metadataOf(req),
    );
    return { experiment_id: experimentId };
  }

  @Get('experiments/get')
  async getExperiment(@Query() q: unknown): Promise<GetExperimentResponse> {
    const dto = parseRequest(s.experimentId, fromQuery(q));
    return { experiment: experimentJson(await this.queries.experiment(dto.experiment_id)) };
  }

  @Get('experiments/get-by-name')
  async getExperimentByName(@Query() q: unknown): Promise<GetExperimentResponse> {
    const dto = parseRequest(s.experimentByName, fromQuery(q));
    return { experiment: experimentJson(await this.queries.experimentByName(dto.experiment_name)) };
  }

  @Post('experiments/search')
  @HttpCode(200)
  searchExperimentsPost(@Body() b: Body_, @Req() req: FastifyRequest): Promise<SearchExperimentsResponse> {
    return this.searchExperiments(parseRequest(s.searchExperiments, b), req);
  }

  @Get('experiments/search')
  searchExperimentsGet(@Query() q: unknown, @Req() req: FastifyRequest): Promise<SearchExperimentsResponse> {
    return this.searchExperiments(parseRequest(s.searchExperiments, fromQuery(q, ['order_by'])), req);
  }

  /** Only experiments the caller may read, filtered in the query: pages and tokens never count the others. */
  private async searchExperiments(dto: ReturnType<typeof s.searchExperiments.parse>, req: FastifyRequest): Promise<SearchExperimentsResponse> {
    const page = await this.queries.searchExperiments(
      {
        filter: dto.filter,
        viewType: dto.view_type,
        maxResults: dto.max_results,
        orderBy: dto.order_by,
        pageToken: dto.page_token,
      },
      await accessOf(req).readable('experiment'),
    );
    const out: SearchExperimentsResponse = {};
    if (page.items.length > 0) out.experiments = page.items.map(experimentJson);
    if (page.nextPageToken) out.next_page_token = page.nextPageToken;
    return out;
  }

  @Post('experiments/update')
  @HttpCode(200)
  async updateExperiment(@Body() b: Body_, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.updateExperiment, b);
    await this.commands.renameExperiment(dto.experiment_id, dto.new_name, metadataOf(req));
    return {};
  }

  @Post('experiments/delete')
  @HttpCode(200)
  async deleteExperiment(@Body() b: Body_, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.experimentId, b);
    await this.commands.deleteExperiment(dto.experiment_id, metadataOf(req));
    return {};
  }

  @Post('experiments/restore')
  @HttpCode(200)
  async restoreExperiment(@Body() b: Body_, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.experimentId, b);
    await this.commands.restoreExperiment(dto.experiment_id, metadataOf(req));
    return {};
  }

  @Post('experiments/set-experiment-tag')
  @HttpCode(200)
  async setExperimentTag(@Body() b: Body_, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.setExperimentTag, b);
    await this.commands.setExperimentTag(dto.experiment_id, dto.key, dto.value, metadataOf(req));
    return {};
  }

  @Post('experiments/delete-experiment-tag')
  @HttpCode(200)
  async deleteExperimentTag(@Body() b: Body_, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.deleteExperimentTag, b);
    await this.commands.deleteExperimentTag(dto.experiment_id, dto.key, metadataOf(req));
    return {};
  }

  /** UI route (MLflow declares it without the leading slash; served under both prefixes here). */
  @Post('experiments/search-datasets')
  @HttpCode(200)
  async searchDatasets(@Body() b: Body_, @Req() req: FastifyRequest): Promise<SearchDatasetsResponse> {
    const dto = parseRequest(s.searchDatasets, b);
    const summaries = await this.queries.datasetSummaries(dto.experiment_ids, await accessOf(req).readable('experiment'));
    if (summaries.length === 0) return {};
    return {
      dataset_summaries: summaries.map((d) => ({
        experiment_id: d.experimentId,
        name: d.name,
        digest: d.digest,
        ...(d.context !== null ? { context: d.context } : {}),
      })),
    };
  }

  // ---- runs ------------------------------------------------------------------------------------

  @Post('runs/create')
  @HttpCode(200)
  async createRun(@Body() b: Body_, @Req() req: FastifyRequest): Promise<GetRunResponse> {
    const dto = parseRequest(s.createRun, b);
    dto.tags.forEach((t, i) => validateEntityKey(t.key, `tags[${i}].key`));
    if (dto.run_name !== undefined) validateLength(dto.run_name, LIMITS.tagValueLength, 'run_name');
    const runId = await this.commands.createRun(
      {
        experimentId: dto.experiment_id || '0',
        userId: dto.user_id ?? '',
        ...(dto.start_time !== undefined ? { startTime: dto.start_time } : {}),
        ...(dto.run_name !== undefined ? { runName: dto.run_name } : {}),
        tags: dto.tags,
      },
      metadataOf(req),
    );
    return { run: runJson(await this.queries.run(runId)) };
  }

  @Post('runs/update')
  @HttpCode(200)
  async updateRun(@Body() b: Body_, @Req() req: FastifyRequest): Promise<UpdateRunResponse> {
    const dto = parseRequest(s.updateRun, withRunId(body(b)));
    if (dto.run_name !== undefined) validateLength(dto.run_name, LIMITS.tagValueLength, 'run_name');
    await this.commands.updateRun(
      dto.run_id,
      {
        ...(dto.status !== undefined ? { status: dto.status } : {}),
        ...(dto.end_time !== undefined ? { endTime: dto.end_time } : {}),
        ...(dto.run_name !== undefined ? { runName: dto.run_name } : {}),
      },
      metadataOf(req),
    );
    return { run_info: runInfoJson(await this.queries.run(dto.run_id)) };
  }

  @Post('runs/delete')
  @HttpCode(200)
  async deleteRun(@Body() b: Body_, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.runId, withRunId(body(b)));
    await this.commands.deleteRun(dto.run_id, metadataOf(req));
    return {};
  }

  @Post('runs/restore')
  @HttpCode(200)
  async restoreRun(@Body() b: Body_, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.runId, withRunId(body(b)));
    await this.commands.restoreRun(dto.run_id, metadataOf(req));
    return {};
  }

  @Get('runs/get')
  async getRun(@Query() q: unknown): Promise<GetRunResponse> {
    const dto = parseRequest(s.runId, withRunId(fromQuery(q)));
    return { run: runJson(await this.queries.run(dto.run_id)) };
  }

  @Post('runs/search')
  @HttpCode(200)
  searchRunsPost(@Body() b: Body_, @Req() req: FastifyRequest): Promise<SearchRunsResponse> {
    return this.searchRuns(parseRequest(s.searchRuns, b), req);
  }

  @Get('runs/search')
  searchRunsGet(@Query() q: unknown, @Req() req: FastifyRequest): Promise<SearchRunsResponse> {
    return this.searchRuns(parseRequest(s.searchRuns, fromQuery(q, ['experiment_ids', 'order_by'])), req);
  }

  private async searchRuns(dto: ReturnType<typeof s.searchRuns.parse>, req: FastifyRequest): Promise<SearchRunsResponse> {
    const page = await this.queries.searchRuns(
      {
        experimentIds: dto.experiment_ids,
        filter: dto.filter,
        viewType: dto.run_view_type,
        maxResults: dto.max_results,
        orderBy: dto.order_by,
        pageToken: dto.page_token,
      },
      await accessOf(req).readable('experiment'),
    );
    const out: SearchRunsResponse = {};
    if (page.items.length > 0) out.runs = page.items.map(runJson);
    if (page.nextPageToken) out.next_page_token = page.nextPageToken;
    return out;
  }

  @Post('runs/log-metric')
  @HttpCode(200)
  async logMetric(@Body() b: Body_, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.logMetric, withRunId(body(b)));
    const point = metricPoint(dto);
    validateLogBatch({ metrics: [point], params: [], tags: [] });
    await this.commands.logBatch(dto.run_id, { metrics: [point], params: [], tags: [] }, metadataOf(req));
    return {};
  }

  @Post('runs/log-parameter')
  @HttpCode(200)
  async logParam(@Body() b: Body_, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.logParam, withRunId(body(b)));
    validateEntityKey(dto.key);
    await this.commands.logBatch(dto.run_id, { metrics: [], params: [{ key: dto.key, value: dto.value }], tags: [] }, metadataOf(req));
    return {};
  }

  @Post('runs/set-tag')
  @HttpCode(200)
  async setTag(@Body() b: Body_, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.setTag, withRunId(body(b)));
    validateEntityKey(dto.key);
    await this.commands.logBatch(dto.run_id, { metrics: [], params: [], tags: [{ key: dto.key, value: dto.value }] }, metadataOf(req));
    return {};
  }

  @Post('runs/delete-tag')
  @HttpCode(200)
  async deleteTag(@Body() b: Body_, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.deleteTag, withRunId(body(b)));
    await this.commands.deleteTag(dto.run_id, dto.key, metadataOf(req));
    return {};
  }

  @Post('runs/log-batch')
  @HttpCode(200)
  async logBatch(@Body() b: Body_, @Req() req: FastifyRequest) {
    // MLflow checks the length of the request's JSON text (MAX_BATCH_LOG_REQUEST_SIZE).
    const declared = Number(req.headers['content-length']);
    const size = Number.isFinite(declared) && declared > 0 ? declared : JSON.stringify(b ?? {}).length;
    if (size > LIMITS.batchRequestSize) {
      throw invalidParameter(`Batched logging API requests must be at most ${LIMITS.batchRequestSize} bytes, got a request of size ${size}.`);
    }
    const dto = s.parseLogBatch(withRunId(body(b)));
    const batch = { metrics: dto.metrics.map(metricPoint), params: dto.params, tags: dto.tags };
    validateLogBatch(batch);
    await this.commands.logBatch(dto.run_id, batch, metadataOf(req));
    return {};
  }

  @Post('runs/log-model')
  @HttpCode(200)
  async logModel(@Body() b: Body_, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.logModel, withRunId(body(b)));
    let model: unknown;
    try {
      model = JSON.parse(dto.model_json);
    } catch {
      throw invalidParameter(`Malformed model info. \n ${dto.model_json.slice(0, 200)} \n is not a valid JSON.`);
    }
    if (!model || typeof model !== 'object' || Array.isArray(model)) throw invalidParameter('Malformed model info: model_json must be a JSON object.');
    const missing = ['artifact_path', 'flavors', 'utc_time_created', 'run_id'].filter((k) => !(k in model));
    if (missing.length > 0) throw invalidParameter(`Model json is missing mandatory fields: [${missing.map((k) => `'${k}'`).join(', ')}]`);
    await this.commands.logModel(dto.run_id, model as Record<string, unknown>, metadataOf(req));
    return {};
  }

  @Post('runs/log-inputs')
  @HttpCode(200)
  async logInputs(@Body() b: Body_, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.logInputs, withRunId(body(b)));
    if (dto.datasets.length > LIMITS.datasetsPerBatch) throw invalidParameter(`Dataset inputs per request can be at most ${LIMITS.datasetsPerBatch}.`);
    const datasets = dto.datasets.map((input, i) => {
      const d = input.dataset;
      const path = `datasets[${i}].dataset`;
      validateLength(d.name, LIMITS.datasetNameLength, `${path}.name`);
      validateLength(d.digest, LIMITS.datasetDigestLength, `${path}.digest`);
      validateLength(d.source, LIMITS.datasetSourceLength, `${path}.source`);
      if (d.schema !== undefined) validateLength(d.schema, LIMITS.datasetSchemaLength, `${path}.schema`);
      if (d.profile !== undefined) validateLength(d.profile, LIMITS.datasetProfileLength, `${path}.profile`);
      input.tags.forEach((t, j) => {
        validateLength(t.key, LIMITS.inputTagKeyLength, `datasets[${i}].tags[${j}].key`);
        validateLength(t.value, LIMITS.inputTagValueLength, `datasets[${i}].tags[${j}].value`);
      });
      return {
        name: d.name,
        digest: d.digest,
        sourceType: d.source_type,
        source: d.source,
        ...(d.schema !== undefined ? { schema: d.schema } : {}),
        ...(d.profile !== undefined ? { profile: d.profile } : {}),
        tags: input.tags,
      };
    });
    await this.commands.logInputs(dto.run_id, { datasets, modelIds: dto.models.map((m) => m.model_id) }, metadataOf(req));
    return {};
  }

  @Post('runs/outputs')
  @HttpCode(200)
  async logOutputs(@Body() b: Body_, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.logOutputs, withRunId(body(b)));
    await this.commands.logOutputs(
      dto.run_id,
      dto.models.map((m) => ({ modelId: m.model_id, step: m.step })),
      metadataOf(req),
    );
    return {};
  }

  // ---- metric history --------------------------------------------------------------------------

  @Get('metrics/get-history')
  async getMetricHistory(@Query() q: unknown, @Res() reply: FastifyReply) {
    const dto = parseRequest(s.metricHistory, withRunId(fromQuery(q)));
    if (dto.max_results !== undefined && dto.max_results !== 0) {
      if (dto.max_results < 0 || dto.max_results > GET_HISTORY_MAX_RESULTS) {
        throw invalidParameter(`max_results must be between 1 and ${GET_HISTORY_MAX_RESULTS}, got ${dto.max_results}.`);
      }
      const page = await this.queries.metricHistoryPage(dto.run_id, dto.metric_key, dto.max_results, dto.page_token);
      const out: GetMetricHistoryResponse = {};
      if (page.items.length > 0) out.metrics = page.items.map(metricJson);
      if (page.nextPageToken) out.next_page_token = page.nextPageToken;
      return reply.status(200).header('content-type', 'application/json').send(out);
    }
    if (dto.page_token) {
      // A token from a paged call, continued without max_results: finish from there in one answer.
      const page = await this.queries.metricHistoryPage(dto.run_id, dto.metric_key, GET_HISTORY_MAX_RESULTS, dto.page_token);
      const out: GetMetricHistoryResponse = {};
      if (page.items.length > 0) out.metrics = page.items.map(metricJson);
      if (page.nextPageToken) out.next_page_token = page.nextPageToken;
      return reply.status(200).header('content-type', 'application/json').send(out);
    }
    // The whole series, streamed chunk by chunk so a million points never sit in memory at once.
    // An unknown run has an empty history (MLflow's server answers 200 {} too).
    const chunks = this.queries.metricHistoryJsonChunks(dto.run_id, dto.metric_key);
    async function* json() {
      let first = true;
      for await (const chunk of chunks) {
        yield first ? `{"metrics":[${chunk}` : `,${chunk}`;
        first = false;
      }
      yield first ? '{}' : ']}';
    }
    return reply.status(200).header('content-type', 'application/json').send(Readable.from(json()));
  }

  @Get('metrics/get-history-bulk-interval')
  async getMetricHistoryBulkInterval(@Query() q: unknown): Promise<GetMetricHistoryBulkIntervalResponse> {
    const dto = parseRequest(s.metricHistoryBulkInterval, fromQuery(q, ['run_ids']));
    const maxResults = validateBulkInterval({ runIds: dto.run_ids, startStep: dto.start_step, endStep: dto.end_step, maxResults: dto.max_results });
    const metrics = await this.queries.metricHistoryBulkInterval({
      runIds: dto.run_ids,
      key: dto.metric_key,
      maxResults,
      ...(dto.start_step !== undefined ? { startStep: dto.start_step } : {}),
      ...(dto.end_step !== undefined ? { endStep: dto.end_step } : {}),
    });
    return metrics.length > 0 ? { metrics: metrics.map(metricJson) } : {};
  }

  // ---- logged models (3.x) ---------------------------------------------------------------------

  @Post('logged-models')
  @HttpCode(200)
  async createLoggedModel(@Body() b: Body_, @Req() req: FastifyRequest): Promise<GetLoggedModelResponse> {
    const dto = parseRequest(s.createLoggedModel, b);
    dto.tags.forEach((t, i) => {
      validateEntityKey(t.key, `tags[${i}].key`);
      validateTagValue(t.value, `tags[${i}].value`);
    });
    dto.params.forEach((p, i) => {
      validateEntityKey(p.key, `params[${i}].key`);
      validateParamValue(p.value, `params[${i}].value`);
    });
    const modelId = await this.commands.createLoggedModel(
      {
        experimentId: dto.experiment_id,
        ...(dto.name !== undefined ? { name: dto.name } : {}),
        ...(dto.model_type !== undefined ? { modelType: dto.model_type } : {}),
        ...(dto.source_run_id !== undefined && dto.source_run_id !== '' ? { sourceRunId: dto.source_run_id } : {}),
        params: dto.params,
        tags: dto.tags,
      },
      metadataOf(req),
    );
    return { model: loggedModelJson(await this.queries.loggedModel(modelId)) };
  }

  @Post('logged-models/search')
  @HttpCode(200)
  async searchLoggedModels(@Body() b: Body_, @Req() req: FastifyRequest): Promise<SearchLoggedModelsResponse> {
    const dto = parseRequest(s.searchLoggedModels, b);
    const page = await this.queries.searchLoggedModels(
      {
        experimentIds: dto.experiment_ids,
        filter: dto.filter,
        orderBy: dto.order_by,
        datasets: dto.datasets,
        maxResults: dto.max_results,
        pageToken: dto.page_token,
      },
      await accessOf(req).readable('experiment'),
    );
    const out: SearchLoggedModelsResponse = {};
    if (page.items.length > 0) out.models = page.items.map(loggedModelJson);
    if (page.nextPageToken) out.next_page_token = page.nextPageToken;
    return out;
  }

  @Get('logged-models/:modelId')
  async getLoggedModel(@Param('modelId') rawModelId: string, @Query() q: unknown): Promise<GetLoggedModelResponse> {
    const modelId = modelIdOf(rawModelId);
    const dto = parseRequest(s.getLoggedModel, fromQuery(q));
    return { model: loggedModelJson(await this.queries.loggedModel(modelId, dto.allow_deleted)) };
  }

  /**
   * MLflow 3's logged-model artifact routes (`…/artifacts/directories`; `…/artifacts/files` is
   * registered under `/ajax-api` only, as in MLflow). The files are the artifacts context's: this
   * checks the model exists (MLflow's 404 for an unknown one) and sends the caller there with a 307,
   * which browsers and `requests` follow with the same method and credentials.
   */
  @Get('logged-models/:modelId/artifacts/directories')
  async listLoggedModelArtifacts(@Param('modelId') rawModelId: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.redirectToLoggedModelArtifacts(rawModelId, 'directories', req, reply);
  }

  @Get('logged-models/:modelId/artifacts/files')
  async getLoggedModelArtifact(@Param('modelId') rawModelId: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    if (!req.url.startsWith('/ajax-api/')) throw new CairnError('ENDPOINT_NOT_FOUND', `Cannot GET ${req.url.split('?')[0] ?? ''}`);
    return this.redirectToLoggedModelArtifacts(rawModelId, 'files', req, reply);
  }

  private async redirectToLoggedModelArtifacts(rawModelId: string, route: 'directories' | 'files', req: FastifyRequest, reply: FastifyReply) {
    const modelId = modelIdOf(rawModelId);
    await this.queries.loggedModel(modelId, false);
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
    return reply
      .status(307)
      .header('location', `/api/2.0/cairn/artifacts/logged-models/${encodeURIComponent(modelId)}/${route}${query}`)
      .send();
  }

  /** Finalize; the client also sends model_id in the body, the path is authoritative. */
  @Patch('logged-models/:modelId')
  @HttpCode(200)
  async finalizeLoggedModel(@Param('modelId') rawModelId: string, @Body() b: Body_, @Req() req: FastifyRequest): Promise<GetLoggedModelResponse> {
    const modelId = modelIdOf(rawModelId);
    const dto = parseRequest(s.finalizeLoggedModel, b);
    await this.commands.finalizeLoggedModel(modelId, dto.status, metadataOf(req));
    return { model: loggedModelJson(await this.queries.loggedModel(modelId)) };
  }

  @Delete('logged-models/:modelId')
  @HttpCode(200)
  async deleteLoggedModel(@Param('modelId') rawModelId: string, @Req() req: FastifyRequest) {
    const modelId = modelIdOf(rawModelId);
    await this.commands.deleteLoggedModel(modelId, metadataOf(req));
    return {};
  }

  @Patch('logged-models/:modelId/tags')
  @HttpCode(200)
  async setLoggedModelTags(@Param('modelId') rawModelId: string, @Body() b: Body_, @Req() req: FastifyRequest) {
    const modelId = modelIdOf(rawModelId);
    const dto = parseRequest(s.loggedModelTags, b);
    dto.tags.forEach((t, i) => {
      validateEntityKey(t.key, `tags[${i}].key`);
      validateTagValue(t.value, `tags[${i}].value`);
    });
    await this.commands.setLoggedModelTags(modelId, dto.tags, metadataOf(req));
    return {};
  }

  @Delete('logged-models/:modelId/tags/:tagKey')
  @HttpCode(200)
  async deleteLoggedModelTag(@Param('modelId') rawModelId: string, @Param('tagKey') rawTagKey: string, @Req() req: FastifyRequest) {
    const modelId = modelIdOf(rawModelId);
    const tagKey = tagKeyOf(rawTagKey);
    await this.commands.deleteLoggedModelTag(modelId, tagKey, metadataOf(req));
    return {};
  }

  @Post('logged-models/:modelId/params')
  @HttpCode(200)
  async logLoggedModelParams(@Param('modelId') rawModelId: string, @Body() b: Body_, @Req() req: FastifyRequest) {
    const modelId = modelIdOf(rawModelId);
    const dto = parseRequest(s.loggedModelParams, b);
    dto.params.forEach((p, i) => {
      validateEntityKey(p.key, `params[${i}].key`);
      validateParamValue(p.value, `params[${i}].value`);
    });
    await this.commands.logLoggedModelParams(modelId, dto.params, metadataOf(req));
    return {};
  }
}

/** Path segments are user input too: a malformed model id cannot exist (and a NUL byte must not reach SQL). */
function modelIdOf(raw: string): string {
  if (!isLoggedModelId(raw)) throw notFound(`Logged model with ID '${raw.split('\u0000').join('')}' not found.`);
  return raw;
}

function tagKeyOf(raw: string): string {
  if (raw.includes('\u0000')) throw invalidParameter('Tag keys must not contain NUL characters.');
  return raw;
}

function metricPoint(m: {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  model_id?: string | undefined;
  dataset_name?: string | undefined;
  dataset_digest?: string | undefined;
}): MetricPoint {
  const point: MetricPoint = { key: m.key, value: toWireDouble(m.value), timestamp: m.timestamp, step: m.step };
  if (m.model_id) point.modelId = m.model_id;
  if (m.dataset_name) point.datasetName = m.dataset_name;
  if (m.dataset_digest) point.datasetDigest = m.dataset_digest;
  return point;
}
