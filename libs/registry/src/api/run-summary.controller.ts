import { Controller, Get, Inject, Query, Req } from '@nestjs/common';
import { invalidParameter } from '@cairn/contracts';
import type { FastifyRequest } from 'fastify';
import { RegistryQueries } from '../application/registry-queries';
import { AccessRules, accessOf } from '@cairn/platform';
import { RUN_SUMMARY_ACCESS } from './registry.access';

/**
 * What the registry knows of a tracking run, from its own projection of tracking events. Lineage
 * (model version → run → commit, data, params, metrics) is built on this without calling tracking.
 */
@Controller('api/2.0/cairn/registry/run-summaries')
@AccessRules(RUN_SUMMARY_ACCESS)
export class RunSummaryController {
  constructor(@Inject(RegistryQueries) private readonly queries: RegistryQueries) {}

  @Get('get')
  async get(@Query('run_id') runId: unknown, @Req() req: FastifyRequest) {
    if (typeof runId !== 'string' || runId === '') throw invalidParameter("Missing value for required parameter 'run_id'.");
    return { run_summary: await this.queries.runSummary(runId, await accessOf(req).readable('experiment')) };
  }
}
