import { Controller, Get, Inject, Query } from '@nestjs/common';
import { diffPackages, environmentPackagesOf, type EnvironmentDiffResponse, fromQuery, parseRequest } from '@cairn/contracts';
import { AccessRules } from '@cairn/platform';
import { TrackingQueries } from '../application/tracking-queries';
import * as s from './schemas';
import { RUN_ENVIRONMENT_ACCESS } from './run-environment.access';

/**
 * Library drift between two runs: the package versions that differ between the environments they
 * recorded (`cairn run` keeps them in `cairn.env.packages.*` tags; see libs/contracts
 * run-environment.ts), so a metric that moved can be told apart from a library that moved.
 */
@Controller(['api/2.0/cairn', 'ajax-api/2.0/cairn'])
@AccessRules(RUN_ENVIRONMENT_ACCESS)
export class RunEnvironmentController {
  constructor(@Inject(TrackingQueries) private readonly queries: TrackingQueries) {}

  /** `?run_a=&run_b=` → `{run_a, run_b, recorded: {run_a, run_b}, identical?, differences?: [{name, run_a?, run_b?}]}`. */
  @Get('runs/environment-diff')
  async environmentDiff(@Query() q: unknown): Promise<EnvironmentDiffResponse> {
    const dto = parseRequest(s.environmentDiff, fromQuery(q));
    const [a, b] = await Promise.all([this.queries.run(dto.run_a), this.queries.run(dto.run_b)]);
    const [pa, pb] = [environmentPackagesOf(a.tags), environmentPackagesOf(b.tags)];
    const answer: EnvironmentDiffResponse = { run_a: a.runId, run_b: b.runId, recorded: { run_a: pa !== undefined, run_b: pb !== undefined } };
    if (pa === undefined || pb === undefined) return answer;
    const differences = diffPackages(pa, pb);
    return { ...answer, identical: differences.length === 0, differences };
  }
}
