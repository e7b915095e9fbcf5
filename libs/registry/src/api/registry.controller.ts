import { Body, Controller, Delete, Get, HttpCode, Inject, Patch, Post, Query, Req } from '@nestjs/common';
import {
  fromQuery,
  invalidParameter,
  REGISTRY_EVENT_TYPES as E,
  runsReferencedByModelVersion,
  type GetModelVersionResponse,
  type GetRegisteredModelResponse,
  type SearchModelVersionsResponse,
  type SearchRegisteredModelsResponse,
} from '@cairn/contracts';
import { accessOf, CONFIG, type CairnConfig } from '@cairn/platform';
import type { FastifyRequest } from 'fastify';
import { RegistryCommands } from '../application/registry-commands';
import { RegistryQueries } from '../application/registry-queries';
import { StageTransitions } from '../application/stage-transitions';
import {
  canonicalStage,
  loggedModelIdOfSource,
  validateAlias,
  validateModelName,
  validateVersionSource,
  validateTag,
  validateVersion,
  type AllowedArtifactRoot,
} from '../domain/validation';
import { parseRequest, schemas as s } from './dto';
import { AccessRules, eventMetadataOf as metadataOf } from '@cairn/platform';
import { modelVersionJson, registeredModelJson } from './wire';
import { REGISTRY_ACCESS } from './registry.access';

const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;

/**
 * MLflow's model registry REST API (mlflow-api.md §5) under `/api/2.0/mlflow` and `/ajax-api/2.0/mlflow`.
 * Every success is 200 with a JSON object; DELETE and PATCH carry JSON bodies. The reads a model load
 * makes (the model, an alias, a version, its download URI, latest versions) are served from the read
 * cache by model-reads.route.ts.
 */
@Controller(['api/2.0/mlflow', 'ajax-api/2.0/mlflow'])
@AccessRules(REGISTRY_ACCESS)
export class RegistryController {
  private readonly artifactRoots: AllowedArtifactRoot[];

  constructor(
    @Inject(RegistryCommands) private readonly commands: RegistryCommands,
    @Inject(RegistryQueries) private readonly queries: RegistryQueries,
    @Inject(StageTransitions) private readonly transitions: StageTransitions,
    @Inject(CONFIG) config: CairnConfig,
  ) {
    const root = config.artifactRoot;
    this.artifactRoots = [{ uri: root.kind === 'file' ? `file://${root.directory}` : `s3://${root.bucket}${root.prefix ? `/${root.prefix}` : ''}` }];
  }

  // ---- registered models ------------------------------------------------------------------------

  @Post('registered-models/create')
  @HttpCode(200)
  async createRegisteredModel(@Body() body: unknown, @Req() req: FastifyRequest): Promise<GetRegisteredModelResponse> {
    const dto = parseRequest(s.createRegisteredModel, body);
    validateModelName(dto.name);
    dto.tags.forEach((t) => validateTag(t.key, t.value));
    const tags = dto.tags.map((t) => ({ key: t.key, value: t.value ?? '' }));
    await this.commands.createRegisteredModel(dto.name, dto.description ?? null, tags, metadataOf(req));
    return { registered_model: registeredModelJson(await this.queries.registeredModel(dto.name)) };
  }

  @Post('registered-models/rename')
  @HttpCode(200)
  async renameRegisteredModel(@Body() body: unknown, @Req() req: FastifyRequest): Promise<GetRegisteredModelResponse> {
    const dto = parseRequest(s.renameRegisteredModel, body);
    validateModelName(dto.new_name);
    await this.commands.execute(dto.name, { type: 'renameRegisteredModel', newName: dto.new_name }, metadataOf(req));
    return { registered_model: registeredModelJson(await this.queries.registeredModel(dto.new_name)) };
  }

  @Patch('registered-models/update')
  async updateRegisteredModel(@Body() body: unknown, @Req() req: FastifyRequest): Promise<GetRegisteredModelResponse> {
    const dto = parseRequest(s.updateRegisteredModel, body);
    await this.commands.execute(dto.name, { type: 'updateRegisteredModel', description: dto.description ?? null }, metadataOf(req));
    return { registered_model: registeredModelJson(await this.queries.registeredModel(dto.name)) };
  }

  @Delete('registered-models/delete')
  async deleteRegisteredModel(@Body() body: unknown, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.name, body);
    await this.commands.execute(dto.name, { type: 'deleteRegisteredModel' }, metadataOf(req));
    return {};
  }

  @Get('registered-models/search')
  async searchRegisteredModels(@Query() query: unknown, @Req() req: FastifyRequest): Promise<SearchRegisteredModelsResponse> {
    const dto = parseRequest(s.searchRegisteredModels, fromQuery(query, ['order_by']));
    const page = await this.queries.searchRegisteredModels(
      { filter: dto.filter, orderBy: dto.order_by, pageToken: dto.page_token, maxResults: dto.max_results },
      await accessOf(req).readable('registered_model'),
    );
    return {
      registered_models: page.items.map(registeredModelJson),
      ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
    };
  }

  @Post('registered-models/set-tag')
  @HttpCode(200)
  async setRegisteredModelTag(@Body() body: unknown, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.setRegisteredModelTag, body);
    validateTag(dto.key, dto.value);
    await this.commands.execute(dto.name, { type: 'setRegisteredModelTag', key: dto.key, value: dto.value ?? '' }, metadataOf(req));
    return {};
  }

  @Delete('registered-models/delete-tag')
  async deleteRegisteredModelTag(@Body() body: unknown, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.deleteRegisteredModelTag, body);
    await this.commands.execute(dto.name, { type: 'deleteRegisteredModelTag', key: dto.key }, metadataOf(req));
    return {};
  }

  // ---- aliases ----------------------------------------------------------------------------------

  @Post('registered-models/alias')
  @HttpCode(200)
  async setAlias(@Body() body: unknown, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.setAlias, body);
    const alias = validateAlias(dto.alias);
    await this.commands.execute(dto.name, { type: 'setAlias', alias, version: validateVersion(dto.version) }, metadataOf(req));
    return {};
  }

  @Delete('registered-models/alias')
  async deleteAlias(@Body() body: unknown, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.alias, body);
    await this.commands.execute(dto.name, { type: 'deleteAlias', alias: validateAlias(dto.alias) }, metadataOf(req));
    return {};
  }

  // ---- model versions ---------------------------------------------------------------------------

  @Post('model-versions/create')
  @HttpCode(200)
  async createModelVersion(@Body() body: unknown, @Req() req: FastifyRequest): Promise<GetModelVersionResponse> {
    const dto = parseRequest(s.createModelVersion, body);
    validateModelName(dto.name);
    const source = validateVersionSource(dto.source, dto.tags, this.artifactRoots);
    if (dto.run_id !== undefined && !RUN_ID.test(dto.run_id)) throw invalidParameter(`Invalid run ID: '${dto.run_id}'`);
    dto.tags.forEach((t) => validateTag(t.key, t.value));
    // References to runs and logged models are accepted as given (a run named only by the source is
    // the version's run); a logged model's run is read from tracking's events when the version is read.
    const result = await this.commands.execute(
      dto.name,
      {
        type: 'createModelVersion',
        source,
        runId: runsReferencedByModelVersion({ runId: dto.run_id ?? null, source })[0] ?? null,
        runLink: dto.run_link ?? null,
        loggedModelId: dto.model_id ?? loggedModelIdOfSource(source),
        description: dto.description ?? null,
        userId: null,
        tags: dto.tags.map((t) => ({ key: t.key, value: t.value ?? '' })),
      },
      metadataOf(req),
    );
    const created = result.events.find((e) => e.type === E.modelVersionCreated);
    if (!created || created.type !== E.modelVersionCreated) throw new Error('createModelVersion decided no version');
    return { model_version: modelVersionJson(await this.queries.modelVersion(result.state.name, created.data.version)) };
  }

  @Patch('model-versions/update')
  async updateModelVersion(@Body() body: unknown, @Req() req: FastifyRequest): Promise<GetModelVersionResponse> {
    const dto = parseRequest(s.updateModelVersion, body);
    const version = validateVersion(dto.version);
    await this.commands.execute(dto.name, { type: 'updateModelVersion', version, description: dto.description ?? null }, metadataOf(req));
    return { model_version: modelVersionJson(await this.queries.modelVersion(dto.name, version)) };
  }

  @Delete('model-versions/delete')
  async deleteModelVersion(@Body() body: unknown, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.version, body);
    await this.commands.execute(dto.name, { type: 'deleteModelVersion', version: validateVersion(dto.version) }, metadataOf(req));
    return {};
  }

  @Get('model-versions/search')
  async searchModelVersions(@Query() query: unknown, @Req() req: FastifyRequest): Promise<SearchModelVersionsResponse> {
    const dto = parseRequest(s.searchModelVersions, fromQuery(query, ['order_by']));
    const page = await this.queries.searchModelVersions(
      { filter: dto.filter, orderBy: dto.order_by, pageToken: dto.page_token, maxResults: dto.max_results },
      await accessOf(req).readable('registered_model'),
    );
    return {
      model_versions: page.items.map(modelVersionJson),
      ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
    };
  }

  @Post('model-versions/transition-stage')
  @HttpCode(200)
  async transitionStage(@Body() body: unknown, @Req() req: FastifyRequest): Promise<GetModelVersionResponse> {
    const dto = parseRequest(s.transitionStage, body);
    const version = validateVersion(dto.version);
    await this.transitions.transition(dto.name, version, canonicalStage(dto.stage), dto.archive_existing_versions ?? false, metadataOf(req));
    return { model_version: modelVersionJson(await this.queries.modelVersion(dto.name, version)) };
  }

  @Post('model-versions/set-tag')
  @HttpCode(200)
  async setModelVersionTag(@Body() body: unknown, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.setModelVersionTag, body);
    validateTag(dto.key, dto.value);
    await this.commands.execute(
      dto.name,
      { type: 'setModelVersionTag', version: validateVersion(dto.version), key: dto.key, value: dto.value },
      metadataOf(req),
    );
    return {};
  }

  @Delete('model-versions/delete-tag')
  async deleteModelVersionTag(@Body() body: unknown, @Req() req: FastifyRequest) {
    const dto = parseRequest(s.deleteModelVersionTag, body);
    await this.commands.execute(dto.name, { type: 'deleteModelVersionTag', version: validateVersion(dto.version), key: dto.key }, metadataOf(req));
    return {};
  }
}
