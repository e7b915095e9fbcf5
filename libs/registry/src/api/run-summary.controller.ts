import { Controller, Get, Inject, Query } from '@nestjs/common';
import { invalidParameter, notFound } from '@cairn/contracts';
import { RunSummaryRepository } from '../infra/run-summary.repository';

/**
 * What the registry knows of a tracking run, from its own projection of tracking events. Lineage
 * (model version → run → commit, data, params, metrics) is built on this without calling tracking.
 */
@Controller('api/2.0/cairn/registry/run-summaries')
export class RunSummaryController {
  constructor(@Inject(RunSummaryRepository) private readonly summaries: RunSummaryRepository) {}

  @Get('get')
  async get(@Query('run_id') runId: unknown) {
    if (typeof runId !== 'string' || runId === '') throw invalidParameter("Missing value for required parameter 'run_id'.");
    const summary = await this.summaries.find(runId);
    if (!summary) throw notFound(`Run '${runId}' is not known to the registry (yet).`);
    return { run_summary: summary };
  }
}
