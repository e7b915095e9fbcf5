import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import {
  fromQuery,
  invalidParameter,
  type ModelAsOf,
  type ModelHistory,
  type ModelVersionLineage,
  type PromotionDecision,
  type RunReferences,
  type RunStatus,
} from '@cairn/contracts';
import type { FastifyRequest } from 'fastify';
import { PromotionService } from '../application/promotion';
import { RegistryQueries } from '../application/registry-queries';
import { canonicalStage, validateAlias, validateVersion } from '../domain/validation';
import { parseInstant, parseRequest, schemas as s } from './dto';
import { AccessRules, accessOf, eventMetadataOf as metadataOf } from '@cairn/platform';
import { modelVersionJson } from './wire';
import { CAIRN_REGISTRY_ACCESS } from './registry.access';

const ENVIRONMENT_FILES = ['MLmodel', 'conda.yaml', 'python_env.yaml', 'requirements.txt'];

/** Cairn's own registry API: history, as-of, lineage, champion/challenger (alias resolution: alias-resolve.route.ts). */
@Controller('api/2.0/cairn')
@AccessRules(CAIRN_REGISTRY_ACCESS)
export class CairnRegistryController {
  constructor(
    @Inject(RegistryQueries) private readonly queries: RegistryQueries,
    @Inject(PromotionService) private readonly promotions: PromotionService,
  ) {}

  /**
   * Champion/challenger: `{name, challenger (version or alias), metric, min_delta, direction,
   * stage | alias (target; default stage Production), archive_existing_versions}`. Compares the
   * runs' final metrics, promotes or not, and records the decision (with its inputs) as an event.
   */
  @Post('registered-models/promote')
  @HttpCode(200)
  async promote(@Body() body: unknown, @Req() req: FastifyRequest): Promise<PromotionDecision> {
    const dto = parseRequest(s.promote, body);
    if (dto.stage !== undefined && dto.alias !== undefined) throw invalidParameter("Give either 'stage' or 'alias' as the target, not both.");
    const target = dto.alias !== undefined ? { alias: validateAlias(dto.alias) } : { stage: canonicalStage(dto.stage ?? 'Production') };
    const decision = await this.promotions.promote(
      {
        name: dto.name,
        challenger: dto.challenger,
        metric: dto.metric,
        direction: dto.direction ?? 'higher_is_better',
        minDelta: dto.min_delta ?? 0,
        target,
        archiveExisting: dto.archive_existing_versions ?? true,
      },
      metadataOf(req),
    );
    return {
      promoted: decision.promoted,
      reason: decision.reason,
      challenger_version: decision.challengerVersion,
      ...(decision.championVersion !== null ? { champion_version: decision.championVersion } : {}),
      metric: decision.metric,
      challenger_value: decision.challengerValue,
      champion_value: decision.championValue,
      target: decision.target,
    };
  }

  /** Every change of the model, oldest first: who, when, what, before and after. */
  @Get('registered-models/history')
  async history(@Query() query: unknown): Promise<ModelHistory> {
    const dto = parseRequest(s.history, fromQuery(query));
    const entries = await this.queries.history(dto.name);
    return {
      name: dto.name,
      changes: entries.map((e) => ({
        event_id: e.eventId,
        type: e.type,
        actor: e.actor,
        timestamp: e.timestamp,
        time: new Date(e.timestamp).toISOString(),
        sequence: e.aggregateVersion,
        model_name: e.name,
        ...(e.version !== null ? { version: e.version } : {}),
        before: e.before,
        after: e.after,
      })),
    };
  }

  /**
   * The model as it stood at `as_of` (epoch ms or ISO-8601): which version held each alias and
   * which versions were in which stage. `alias=` or `stage=` narrows the answer.
   */
  @Get('registered-models/as-of')
  async asOf(@Query() query: unknown): Promise<ModelAsOf> {
    const dto = parseRequest(s.asOf, fromQuery(query));
    const at = parseInstant(dto.as_of);
    const snapshot = await this.queries.asOf(dto.name, at);
    const base = { name: dto.name, as_of: at, existed: snapshot.exists };
    if (dto.alias !== undefined) {
      const held = snapshot.aliases.find((a) => a.alias === dto.alias);
      return { ...base, alias: dto.alias, ...(held ? { version: held.version } : {}) };
    }
    if (dto.stage !== undefined) {
      const stage = canonicalStage(dto.stage);
      const versions = snapshot.versions.filter((v) => v.stage === stage).map((v) => v.version);
      return { ...base, stage, versions, ...(versions.length > 0 ? { latest_version: versions[versions.length - 1] } : {}) };
    }
    return { ...base, aliases: snapshot.aliases, versions: snapshot.versions.map((v) => ({ version: v.version, current_stage: v.stage })) };
  }

  /**
   * Referential safety: the live model versions that reference a run (directly, or through a logged
   * model it produced). Tracking asks before purging a run and refuses with a 4xx naming them; the
   * same references travel on the registry topic in `model_version.created/deleted` events.
   */
  @Get('registry/run-references')
  async runReferences(@Query() query: unknown, @Req() req: FastifyRequest): Promise<RunReferences> {
    const dto = parseRequest(s.runReferences, fromQuery(query));
    // Only versions of models the caller may read: `referenced` says nothing of the others either.
    const versions = await this.queries.versionsReferencingRun(dto.run_id, await accessOf(req).readable('registered_model'));
    return {
      run_id: dto.run_id,
      referenced: versions.length > 0,
      model_versions: versions.map((v) => ({ name: v.name, version: v.version, current_stage: v.currentStage })),
    };
  }

  /** Version → run → experiment, params, final metrics, code commit, data version, environment, artifacts. */
  @Get('model-versions/lineage')
  async lineage(@Query() query: unknown, @Req() req: FastifyRequest): Promise<ModelVersionLineage> {
    const dto = parseRequest(s.version, fromQuery(query));
    const l = await this.queries.lineage(dto.name, validateVersion(dto.version), await accessOf(req).readable('experiment'));
    const run = l.run;
    const tags = run?.tags ?? {};
    const commitKey = tags['mlflow.source.git.commit'] !== undefined ? 'mlflow.source.git.commit' : tags['git_commit'] !== undefined ? 'git_commit' : undefined;
    const base = l.artifactUri.replace(/\/+$/, '');
    return {
      model_version: modelVersionJson(l.version),
      artifact_uri: l.artifactUri,
      environment_files: ENVIRONMENT_FILES.map((f) => `${base}/${f}`),
      ...(l.runId ? { run_id: l.runId } : {}),
      // The registry learns runs from tracking's events; a version registered a moment ago may not have its run yet.
      // A known run in an experiment the caller may not read is known, and shown without its details.
      run_known: l.runKnown,
      ...(run
        ? {
            run: {
              run_id: run.runId,
              run_name: run.name,
              experiment_id: run.experimentId,
              // The summary keeps the status of tracking's run events, which are RunStatus values.
              status: run.status as RunStatus,
              lifecycle_stage: run.lifecycleStage,
              start_time: run.startTime,
              ...(run.endTime !== null ? { end_time: run.endTime } : {}),
              artifact_uri: run.artifactUri,
              params: run.params,
              metrics: Object.fromEntries(Object.entries(run.metrics).map(([k, m]) => [k, m.value])),
              tags: run.tags,
            },
            code: {
              ...(commitKey ? { commit: tags[commitKey], commit_tag: commitKey } : {}),
              ...(tags['mlflow.source.git.repoURL'] ? { repo_url: tags['mlflow.source.git.repoURL'] } : {}),
              ...(tags['mlflow.source.git.branch'] ? { branch: tags['mlflow.source.git.branch'] } : {}),
              ...(tags['mlflow.source.name'] ? { source_name: tags['mlflow.source.name'] } : {}),
            },
            data: {
              ...(tags['dvc_data_hash'] ? { dvc_data_hash: tags['dvc_data_hash'] } : {}),
              datasets: run.datasets,
            },
          }
        : {}),
    };
  }
}
