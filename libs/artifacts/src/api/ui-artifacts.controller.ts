import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ArtifactQueries } from '../application/artifact-queries';
import { modelVersionArtifactQuery, parseRequest, runArtifactQuery } from './dto';
import { downloadRequestOf, sendArtifact } from './send-artifact';
import { AccessRules } from '@cairn/platform';
import { UI_ARTIFACTS_ACCESS } from './artifacts.access';

/** The web UI's download routes (MLflow serves them at the root, not under /api). */
@Controller()
@AccessRules(UI_ARTIFACTS_ACCESS)
export class UiArtifactsController {
  constructor(@Inject(ArtifactQueries) private readonly queries: ArtifactQueries) {}

  @Get('get-artifact')
  async runArtifact(@Query() query: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const q = parseRequest(runArtifactQuery, query);
    return sendArtifact(reply, await this.queries.downloadRunArtifact(q.run_id ?? q.run_uuid ?? '', q.path, downloadRequestOf(request)));
  }

  @Get('model-versions/get-artifact')
  async modelVersionArtifact(@Query() query: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const q = parseRequest(modelVersionArtifactQuery, query);
    return sendArtifact(reply, await this.queries.downloadModelVersionArtifact(q.name, q.version, q.path, downloadRequestOf(request)));
  }
}
