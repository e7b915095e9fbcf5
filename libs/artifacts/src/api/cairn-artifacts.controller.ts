import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import { invalidParameter, type ListArtifactsResponse } from '@cairn/contracts';
import type { FastifyRequest } from 'fastify';
import { ArtifactCommands } from '../application/artifact-commands';
import { ArtifactQueries } from '../application/artifact-queries';
import type { RetentionPolicy } from '../domain/retention';
import { deleteRetentionPolicy, experimentQuery, parseRequest, runListQuery, setQuota, setRetentionPolicy, usageQuery } from './dto';
import { AccessRules, eventMetadataOf as metadataOf } from '@cairn/platform';
import { CAIRN_ARTIFACTS_ACCESS, MLFLOW_ARTIFACT_LIST_ACCESS } from './artifacts.access';

const policyJson = (p: RetentionPolicy) => ({
  policy_id: p.policyId,
  experiment_id: p.experimentId,
  prefix: p.prefix,
  ...(p.keepLast !== null ? { keep_last: p.keepLast } : {}),
  ...(p.keepBest !== null ? { keep_best: p.keepBest } : {}),
  ...(p.metricKey !== null ? { metric_key: p.metricKey, metric_goal: p.metricGoal } : {}),
});

/**
 * MLflow's tracking-side `artifacts/list` (the UI and clients with non-proxied URIs call it). It lives
 * here, with the artifact index, rather than in tracking: same answer as Cairn's `/list` below.
 */
@Controller(['api/2.0/mlflow/artifacts', 'ajax-api/2.0/mlflow/artifacts'])
@AccessRules(MLFLOW_ARTIFACT_LIST_ACCESS)
export class MlflowArtifactListController {
  constructor(@Inject(ArtifactQueries) private readonly queries: ArtifactQueries) {}

  @Get('list')
  async list(@Query() query: unknown) {
    return listRunArtifacts(this.queries, query);
  }
}

async function listRunArtifacts(queries: ArtifactQueries, query: unknown): Promise<ListArtifactsResponse> {
  const q = parseRequest(runListQuery, query);
  const listing = await queries.listRun(q.run_id, q.path);
  return { ...(listing.rootUri !== undefined ? { root_uri: listing.rootUri } : {}), ...(listing.files.length > 0 ? { files: listing.files } : {}) };
}

/** Cairn's own artifact API: storage usage, retention policies and quotas (CLI and UI use it too). */
@Controller('api/2.0/cairn/artifacts')
@AccessRules(CAIRN_ARTIFACTS_ACCESS)
export class CairnArtifactsController {
  constructor(
    @Inject(ArtifactCommands) private readonly commands: ArtifactCommands,
    @Inject(ArtifactQueries) private readonly queries: ArtifactQueries,
  ) {}

  /** Tracking's `artifacts/list` shape for a run: `{root_uri, files: [{path (run-relative), is_dir, file_size?}]}`. */
  @Get('list')
  async listRun(@Query() query: unknown) {
    return listRunArtifacts(this.queries, query);
  }

  /** `logical_bytes`: what was uploaded; `stored_bytes`: distinct contents actually kept for that scope. */
  @Get('usage')
  async usage(@Query() query: unknown) {
    const q = parseRequest(usageQuery, query);
    if ((q.run_id === undefined) === (q.experiment_id === undefined)) throw invalidParameter('Pass exactly one of run_id and experiment_id.');
    const usage = q.run_id !== undefined ? await this.queries.usageOfRun(q.run_id) : await this.queries.usageOfExperiment(q.experiment_id ?? '');
    const quota = q.experiment_id !== undefined ? await this.queries.quotaOf(q.experiment_id) : undefined;
    return {
      ...(q.run_id !== undefined ? { run_id: q.run_id } : { experiment_id: q.experiment_id }),
      files: usage.files,
      logical_bytes: usage.logicalBytes,
      stored_bytes: usage.storedBytes,
      ...(quota !== undefined ? { quota_bytes: quota } : {}),
    };
  }

  @Post('retention-policies')
  @HttpCode(200)
  async setPolicy(@Body() body: unknown, @Req() request: FastifyRequest) {
    const dto = parseRequest(setRetentionPolicy, body);
    const policy = await this.commands.setRetentionPolicy(
      {
        experimentId: dto.experiment_id,
        prefix: dto.prefix,
        keepLast: dto.keep_last ?? null,
        keepBest: dto.keep_best ?? null,
        metricKey: dto.metric_key ?? null,
        metricGoal: dto.metric_goal ?? null,
      },
      metadataOf(request),
    );
    return { policy: policyJson(policy) };
  }

  @Get('retention-policies')
  async listPolicies(@Query() query: unknown) {
    const q = parseRequest(experimentQuery, query);
    return { policies: (await this.queries.policiesOf(q.experiment_id)).map(policyJson) };
  }

  @Post('retention-policies/delete')
  @HttpCode(200)
  async deletePolicy(@Body() body: unknown, @Req() request: FastifyRequest) {
    const dto = parseRequest(deleteRetentionPolicy, body);
    await this.commands.deleteRetentionPolicy(dto.policy_id, metadataOf(request));
    return {};
  }

  @Post('quotas')
  @HttpCode(200)
  async setQuota(@Body() body: unknown, @Req() request: FastifyRequest) {
    const dto = parseRequest(setQuota, body);
    const maxBytes = dto.max_bytes === null || dto.max_bytes === 0 ? null : dto.max_bytes;
    await this.commands.setQuota(dto.experiment_id, maxBytes, metadataOf(request));
    return { experiment_id: dto.experiment_id, ...(maxBytes !== null ? { max_bytes: maxBytes } : {}) };
  }

  @Get('quotas')
  async getQuota(@Query() query: unknown) {
    const q = parseRequest(experimentQuery, query);
    const maxBytes = await this.queries.quotaOf(q.experiment_id);
    return { experiment_id: q.experiment_id, ...(maxBytes !== undefined ? { max_bytes: maxBytes } : {}) };
  }
}
