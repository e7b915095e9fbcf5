import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { CairnError, type ListArtifactsResponse } from '@cairn/contracts';
import { AccessRules } from '@cairn/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ArtifactQueries } from '../application/artifact-queries';
import { LOGGED_MODEL_ARTIFACTS_ACCESS } from './artifacts.access';
import { loggedModelDirectoryQuery, loggedModelFileQuery, parseRequest } from './dto';
import { downloadRequestOf, sendArtifact } from './send-artifact';

/**
 * What MLflow 3's logged-model artifact routes answer (`ListLoggedModelArtifacts`, and the download
 * Flask registers under `/ajax-api` only). MLflow's paths lie under `logged-models/`, which the
 * Ingress sends to tracking-service (Kubernetes matches prefixes only), so tracking answers them
 * with a 307 to these, here beside the artifact index. As a run's `artifacts/list`, a model
 * without files lists as `{}`.
 */
@Controller('api/2.0/cairn/artifacts/logged-models')
@AccessRules(LOGGED_MODEL_ARTIFACTS_ACCESS)
export class LoggedModelArtifactsController {
  constructor(@Inject(ArtifactQueries) private readonly queries: ArtifactQueries) {}

  @Get(':modelId/directories')
  async directories(@Param('modelId') modelId: string, @Query() query: unknown): Promise<ListArtifactsResponse> {
    const q = parseRequest(loggedModelDirectoryQuery, query);
    const listing = await this.queries.listLoggedModel(modelId, q.artifact_directory_path);
    return { ...(listing.rootUri !== undefined ? { root_uri: listing.rootUri } : {}), ...(listing.files.length > 0 ? { files: listing.files } : {}) };
  }

  @Get(':modelId/files')
  async file(@Param('modelId') modelId: string, @Query() query: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const q = parseRequest(loggedModelFileQuery, query);
    // MLflow's get_logged_model_artifact_handler: BAD_REQUEST (400), its wording.
    if (q.artifact_file_path === undefined) throw new CairnError('BAD_REQUEST', 'Request must include the "artifact_file_path" query parameter.');
    return sendArtifact(reply, await this.queries.downloadLoggedModelArtifact(modelId, q.artifact_file_path, downloadRequestOf(request)));
  }
}
