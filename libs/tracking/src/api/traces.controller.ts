import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import {
  CairnError,
  fromQuery,
  invalidParameter,
  notFound,
  parseRequest,
  type AssessmentResponse,
  type BatchGetTraceInfosResponse,
  type BatchGetTracesResponse,
  type DeleteTracesResponse,
  type QueryTraceMetricsResponse,
  type SearchTracesV3Response,
  type TraceResponse,
} from '@cairn/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessRules, accessOf, eventMetadataOf as metadataOf } from '@cairn/platform';
import { TraceCommands } from '../application/trace-commands';
import { TraceQueries } from '../application/trace-queries';
import { checkTraceId, durationOf, timeOf, TRACE_ARTIFACT_LOCATION_TAG, TRACE_TAG_LIMITS, traceEntries, type LoggedTraceInfo } from '../domain/trace';
import { traceMetricsQuery } from '../domain/trace-metrics';
import { validateLength } from '../domain/validation';
import * as s from './trace-schemas';
import { traceInfoJson } from './trace-wire';
import { OTLP_TRACES_ACCESS, TRACES_ACCESS } from './traces.access';

type Body_ = Record<string, unknown> | undefined;

const PROXIED = 'mlflow-artifacts:';
/** MLflow's TRACE_DATA_FILE_NAME: the spans of one trace, as the client uploads them. */
const TRACE_DATA_FILE = 'traces.json';

/**
 * MLflow 3's trace API, as the 3.x client and web UI call it: StartTraceV3, trace info, search and
 * assessments under `3.0/mlflow/traces`; tags and deletes under both `2.0` (what the client calls) and
 * `3.0` (MLflow's V3 messages). Spans
 * are not sent here: the client uploads them as `traces.json` to the `mlflow.artifactLocation` tag
 * this server sets, through the artifact API.
 */
@Controller(['api', 'ajax-api'])
@AccessRules(TRACES_ACCESS)
export class TracesController {
  constructor(
    @Inject(TraceCommands) private readonly commands: TraceCommands,
    @Inject(TraceQueries) private readonly queries: TraceQueries,
  ) {}

  /** StartTraceV3 (called when the trace has ended): stores the info, answers it as stored. */
  @Post('3.0/mlflow/traces')
  @HttpCode(200)
  async startTrace(@Body() b: Body_, @Req() req: FastifyRequest): Promise<TraceResponse> {
    const info = parseRequest(s.startTraceV3, b).trace.trace_info;
    const traceId = checkTraceId(info.trace_id);
    const requestTime = timeOf(info.request_time);
    if (requestTime === undefined) throw invalidParameter(`Invalid value ${JSON.stringify(info.request_time)} for parameter 'request_time' supplied.`);
    const executionDuration = info.execution_duration === undefined ? undefined : durationOf(info.execution_duration);
    const logged: LoggedTraceInfo = {
      traceId,
      requestTime,
      ...(executionDuration !== undefined ? { executionDuration } : {}),
      state: info.state,
      ...(info.request_preview !== undefined ? { requestPreview: info.request_preview } : {}),
      ...(info.response_preview !== undefined ? { responsePreview: info.response_preview } : {}),
      ...(info.client_request_id !== undefined ? { clientRequestId: info.client_request_id } : {}),
      metadata: traceEntries(info.trace_metadata, 'trace_metadata'),
      tags: traceEntries(info.tags, 'tags'),
      assessments: [],
    };
    const experimentId = info.trace_location.mlflow_experiment.experiment_id;
    await this.commands.logTrace(experimentId, logged, metadataOf(req));
    // Assessments logged while the trace ran come with it (ids assigned by the client).
    for (const assessment of info.assessments) await this.commands.createAssessment(traceId, assessment, metadataOf(req));
    return { trace: { trace_info: traceInfoJson(await this.queries.trace(traceId)) } };
  }

  /** GetTraceInfoV3. */
  @Get('3.0/mlflow/traces/:traceId')
  async getTraceInfo(@Param('traceId') traceId: string): Promise<TraceResponse> {
    return { trace: { trace_info: traceInfoJson(await this.queries.trace(traceId)) } };
  }

  /** BatchGetTraces: the infos of the traces found; their spans are in the artifact store (no `spans` here). */
  @Get('3.0/mlflow/traces/batchGet')
  async batchGetTraces(@Query() q: unknown): Promise<BatchGetTracesResponse> {
    const dto = parseRequest(s.batchGetTraces, fromQuery(q, ['trace_ids']));
    return { traces: (await this.queries.traces(dto.trace_ids)).map((t) => ({ trace_info: traceInfoJson(t) })) };
  }

  /** BatchGetTraceInfos (the web UI): the infos found, in the order asked; `experiment_ids`, when given, bounds them. */
  @Post('3.0/mlflow/traces/batchGetInfos')
  @HttpCode(200)
  async batchGetTraceInfos(@Body() b: Body_): Promise<BatchGetTraceInfosResponse> {
    const dto = parseRequest(s.batchGetTraceInfos, b);
    const within = dto.experiment_ids === undefined ? undefined : new Set(dto.experiment_ids);
    const traces = (await this.queries.traces(dto.trace_ids)).filter((t) => within === undefined || within.has(t.experimentId));
    return { trace_infos: traces.map(traceInfoJson) };
  }

  @Post('3.0/mlflow/traces/search')
  @HttpCode(200)
  async searchTraces(@Body() b: Body_, @Req() req: FastifyRequest): Promise<SearchTracesV3Response> {
    const dto = parseRequest(s.searchTracesV3, b);
    if (dto.locations.length === 0)
      throw invalidParameter("Missing value for required parameter 'locations'. See the API docs for more information about request parameters.");
    if (dto.max_results !== undefined && dto.max_results > 500) {
      throw invalidParameter(`Invalid value ${dto.max_results} for parameter 'max_results' supplied: must be less than or equal to 500.`);
    }
    const page = await this.queries.search(
      dto.locations.map((l) => l.mlflow_experiment.experiment_id),
      await accessOf(req).readable('experiment'),
      { filter: dto.filter, orderBy: dto.order_by, maxResults: dto.max_results, pageToken: dto.page_token },
    );
    const out: SearchTracesV3Response = {};
    if (page.rows.length > 0) out.traces = page.rows.map(traceInfoJson);
    if (page.nextPageToken) out.next_page_token = page.nextPageToken;
    return out;
  }

  /**
   * QueryTraceMetrics (the web UI's trace charts and counts): aggregates over the experiments' traces
   * the caller may read. `page_token` is accepted and ignored, and no `next_page_token` is returned,
   * as MLflow 3.18's store does (its pagination is a TODO).
   */
  @Post('3.0/mlflow/traces/metrics')
  @HttpCode(200)
  async queryTraceMetrics(@Body() b: Body_, @Req() req: FastifyRequest): Promise<QueryTraceMetricsResponse> {
    const dto = parseRequest(s.queryTraceMetrics, b);
    const query = traceMetricsQuery({
      viewType: dto.view_type,
      metricName: dto.metric_name,
      aggregations: dto.aggregations.map((a) => ({
        type: a.aggregation_type,
        ...(a.percentile_value !== undefined ? { percentile: a.percentile_value } : {}),
      })),
      dimensions: dto.dimensions,
      filters: dto.filters,
      timeIntervalSeconds: dto.time_interval_seconds,
      startTimeMs: dto.start_time_ms,
      endTimeMs: dto.end_time_ms,
      maxResults: dto.max_results,
    });
    const points = await this.queries.traceMetrics(dto.experiment_ids, await accessOf(req).readable('experiment'), query);
    if (points.length === 0) return {};
    return {
      data_points: points.map((p) => ({
        metric_name: p.metricName,
        ...(Object.keys(p.dimensions).length > 0 ? { dimensions: p.dimensions } : {}),
        ...(Object.keys(p.values).length > 0 ? { values: p.values } : {}),
      })),
    };
  }

  @Patch(['2.0/mlflow/traces/:traceId/tags', '3.0/mlflow/traces/:traceId/tags'])
  @HttpCode(200)
  async setTraceTag(@Param('traceId') traceId: string, @Body() b: Body_, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.setTraceTag, b);
    validateLength(dto.key, TRACE_TAG_LIMITS.key, 'key');
    await this.commands.setTag(traceId, dto.key, dto.value.slice(0, TRACE_TAG_LIMITS.value), metadataOf(req));
    return {};
  }

  @Delete(['2.0/mlflow/traces/:traceId/tags', '3.0/mlflow/traces/:traceId/tags'])
  @HttpCode(200)
  async deleteTraceTag(@Param('traceId') traceId: string, @Body() b: Body_, @Query() q: unknown, @Req() req: FastifyRequest) {
    // The client sends the key in the body; a DELETE without one may carry it in the query string.
    const dto = parseRequest(s.deleteTraceTag, b && Object.keys(b).length > 0 ? b : fromQuery(q));
    await this.commands.deleteTag(traceId, dto.key, metadataOf(req));
    return {};
  }

  /** DeleteTraces: by `request_ids`, or up to `max_timestamp_millis` (at most `max_traces`), never both. */
  @Post(['2.0/mlflow/traces/delete-traces', '3.0/mlflow/traces/delete-traces'])
  @HttpCode(200)
  async deleteTraces(@Body() b: Body_, @Req() req: FastifyRequest): Promise<DeleteTracesResponse> {
    const dto = parseRequest(s.deleteTraces, b);
    const byIds = dto.request_ids.length > 0;
    if (byIds === (dto.max_timestamp_millis !== undefined)) {
      throw invalidParameter('Either `max_timestamp_millis` or `request_ids` must be specified, but not both.');
    }
    if (byIds && dto.max_traces !== undefined) throw invalidParameter("`max_traces` can't be specified if `request_ids` is specified.");
    const select = byIds
      ? { traceIds: dto.request_ids }
      : { maxTimestampMillis: dto.max_timestamp_millis ?? 0, maxTraces: dto.max_traces ?? Number.MAX_SAFE_INTEGER };
    return { traces_deleted: await this.commands.deleteTraces(dto.experiment_id, select, metadataOf(req)) };
  }

  @Post('3.0/mlflow/traces/:traceId/assessments')
  @HttpCode(200)
  async createAssessment(@Param('traceId') traceId: string, @Body() b: Body_, @Req() req: FastifyRequest): Promise<AssessmentResponse> {
    const dto = parseRequest(s.createAssessment, b);
    return { assessment: await this.commands.createAssessment(traceId, dto.assessment, metadataOf(req)) };
  }

  @Get('3.0/mlflow/traces/:traceId/assessments/:assessmentId')
  async getAssessment(@Param('traceId') traceId: string, @Param('assessmentId') assessmentId: string): Promise<AssessmentResponse> {
    return { assessment: await this.queries.assessment(traceId, assessmentId) };
  }

  @Patch('3.0/mlflow/traces/:traceId/assessments/:assessmentId')
  @HttpCode(200)
  async updateAssessment(
    @Param('traceId') traceId: string,
    @Param('assessmentId') assessmentId: string,
    @Body() b: Body_,
    @Req() req: FastifyRequest,
  ): Promise<AssessmentResponse> {
    const dto = parseRequest(s.updateAssessment, b);
    const mask = dto.update_mask
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '');
    return { assessment: await this.commands.updateAssessment(traceId, assessmentId, dto.assessment, mask, metadataOf(req)) };
  }

  /**
   * The web UI reads a trace's spans here. They are `traces.json` in the artifact store, which the
   * artifacts context serves (with its own access check), so this answers with a redirect to it.
   */
  @Get(['2.0/mlflow/get-trace-artifact', '3.0/mlflow/get-trace-artifact'])
  async getTraceArtifact(@Query() q: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const dto = parseRequest(s.getTraceArtifact, fromQuery(q));
    const trace = await this.queries.trace(dto.request_id);
    const location = trace.tags[TRACE_ARTIFACT_LOCATION_TAG] ?? '';
    const path = location.startsWith(PROXIED) ? location.slice(PROXIED.length).replace(/^\/+/, '') : undefined;
    if (path === undefined) throw notFound(`Trace with ID '${dto.request_id}' has no spans in Cairn's artifact store.`);
    const prefix = req.url.startsWith('/ajax-api/') ? '/ajax-api' : '/api';
    const encoded = [...path.split('/'), TRACE_DATA_FILE].map(encodeURIComponent).join('/');
    await reply.redirect(`${prefix}/2.0/mlflow-artifacts/artifacts/${encoded}`, 302);
  }

  @Delete('3.0/mlflow/traces/:traceId/assessments/:assessmentId')
  @HttpCode(200)
  async deleteAssessment(@Param('traceId') traceId: string, @Param('assessmentId') assessmentId: string, @Req() req: FastifyRequest) {
    await this.commands.deleteAssessment(traceId, assessmentId, metadataOf(req));
    return {};
  }
}

/**
 * The OTLP span export MLflow 3.4+ clients try first. Cairn keeps spans in the artifact store, so it
 * answers as `mlflow server` over a store without span logging does: 501 with the message the client
 * recognises ("REST OTLP span logging is not supported"), after which it stops trying and uploads
 * each trace's spans as `traces.json` instead.
 */
@Controller('v1')
@AccessRules(OTLP_TRACES_ACCESS)
export class OtlpTracesController {
  @Post('traces')
  exportSpans(): never {
    throw new CairnError('NOT_IMPLEMENTED', 'REST OTLP span logging is not supported by Cairn: spans are stored in the artifact store.');
  }
}
