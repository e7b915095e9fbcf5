import { Readable } from 'node:stream';
import { Controller, Delete, Get, HttpCode, Inject, Post, Put, Query, Req, Res } from '@nestjs/common';
import { CairnError } from '@cairn/contracts';
import { normaliseArtifactPath } from '@cairn/blobstore';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ArtifactCommands } from '../application/artifact-commands';
import { ArtifactQueries } from '../application/artifact-queries';
import { listQuery, parseRequest } from './dto';
import { AccessRules, accessOf, eventMetadataOf as metadataOf } from '@cairn/platform';
import { discardRestOfBody } from './raw-upload';
import { rawPathAfter } from './request-metadata';
import { downloadRequestOf, sendArtifact } from './send-artifact';
import { ARTIFACTS_PROXY_ACCESS } from './artifacts.access';

/** MLflow's exact words: the 3.x/2.x client falls back to a single PUT on this 501 (test_http_artifact_repo.py). */
export const MULTIPART_UNSUPPORTED = 'Multipart upload is not supported for the current artifact repository';

const ARTIFACTS = '/mlflow-artifacts/artifacts/';

/**
 * MLflow's artifact proxy (`MlflowArtifactsService`, mlflow-api.md §7.2). Paths are relative to the
 * artifact root (`<experiment_id>/<run_id>/artifacts/<file>`), read from the raw URL and checked by
 * the path module before anything else happens — on every route, multipart included (PR #21945).
 */
@Controller(['api/2.0/mlflow-artifacts', 'ajax-api/2.0/mlflow-artifacts'])
@AccessRules(ARTIFACTS_PROXY_ACCESS)
export class ArtifactsProxyController {
  constructor(
    @Inject(ArtifactCommands) private readonly commands: ArtifactCommands,
    @Inject(ArtifactQueries) private readonly queries: ArtifactQueries,
  ) {}

  @Put('artifacts/*')
  @HttpCode(200)
  async upload(@Req() request: FastifyRequest) {
    const body = request.body as Readable | undefined;
    const length = request.headers['content-length'];
    const announced = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
    // An empty PUT (no body, no content type) is an empty file.
    const stream = body instanceof Readable ? body : Readable.from([]);
    try {
      await this.commands.upload(rawPathAfter(request.url, ARTIFACTS), stream, announced, metadataOf(request));
    } catch (error) {
      discardRestOfBody(stream);
      throw error;
    }
    return {};
  }

  @Get('artifacts')
  async list(@Query() query: unknown, @Req() req: FastifyRequest) {
    const { path } = parseRequest(listQuery, query);
    const files = await this.queries.list(path, await accessOf(req).readable('experiment'));
    return files.length > 0 ? { files } : {};
  }

  @Get('artifacts/*')
  async download(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return sendArtifact(reply, await this.queries.download(rawPathAfter(request.url, ARTIFACTS), downloadRequestOf(request)));
  }

  @Delete('artifacts/*')
  async delete(@Req() request: FastifyRequest) {
    await this.commands.delete(rawPathAfter(request.url, ARTIFACTS), metadataOf(request));
    return {};
  }

  /**
   * Multipart: answered 501 so clients fall back to one streamed PUT. Presigned part URLs would send
   * clients straight to the bucket: the server would lose the digest, dedup, quotas and events, and a
   * filesystem root has nothing to presign. The path is still validated first.
   */
  @Post(['mpu/create/*', 'mpu/complete/*', 'mpu/abort/*'])
  multipart(@Req() request: FastifyRequest): never {
    const marker = /\/mpu\/(?:create|complete|abort)\//.exec(request.url)?.[0] ?? '/mpu/';
    normaliseArtifactPath(rawPathAfter(request.url, marker));
    throw new CairnError('NOT_IMPLEMENTED', MULTIPART_UNSUPPORTED);
  }

  /** 3.x presigned downloads: 501 makes the client fall back to the proxied GET. */
  @Get('presigned/*')
  presigned(@Req() request: FastifyRequest): never {
    normaliseArtifactPath(rawPathAfter(request.url, '/presigned/'));
    throw new CairnError('NOT_IMPLEMENTED', 'Presigned downloads are not supported by this artifact repository');
  }
}
