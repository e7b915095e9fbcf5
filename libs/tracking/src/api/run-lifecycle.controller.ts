import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { objectBody, parseRequest, withRunId, type GcResult, type HeartbeatResponse, type ReapOrphansResult } from '@cairn/contracts';
import { AccessRules, eventMetadataOf as metadataOf } from '@cairn/platform';
import type { FastifyRequest } from 'fastify';
import { RunLifecycle } from '../application/run-lifecycle';
import * as s from './schemas';
import { RUN_LIFECYCLE_ACCESS } from './run-lifecycle.access';

/**
 * Cairn's run-lifecycle API (issue 7): heartbeats from the SDK, and the orphan reaper and garbage
 * collection on demand (ops, tests, `cairn gc`; timers run them too). Errors are MLflow's
 * `{error_code, message}`.
 */
@Controller('api/2.0/cairn')
@AccessRules(RUN_LIFECYCLE_ACCESS)
export class RunLifecycleController {
  constructor(@Inject(RunLifecycle) private readonly lifecycle: RunLifecycle) {}

  /** `{run_id}` → `{run_status}`; a client whose run was reaped (KILLED) learns it here. */
  @Post('runs/heartbeat')
  @HttpCode(200)
  async heartbeat(@Body() b: unknown): Promise<HeartbeatResponse> {
    const dto = parseRequest(s.runId, withRunId(objectBody(b)));
    return { run_status: await this.lifecycle.heartbeat(dto.run_id) };
  }

  /** `{dry_run?}` → `{dry_run, reaped_runs: [run_id]}`. */
  @Post('runs/reap-orphans')
  @HttpCode(200)
  async reapOrphans(@Body() b: unknown, @Req() req: FastifyRequest): Promise<ReapOrphansResult> {
    const dto = parseRequest(s.reapOrphans, b);
    return { dry_run: dto.dry_run, reaped_runs: await this.lifecycle.reapOrphans({ dryRun: dto.dry_run }, metadataOf(req)) };
  }

  /**
   * `{dry_run?, older_than_days?}` → `{dry_run, purged_runs, purged_experiments, skipped: [{run_id,
   * reason, model_versions: [{name, version}]}], skipped_experiments: [{experiment_id, reason}]}`.
   */
  @Post('gc')
  @HttpCode(200)
  async gc(@Body() b: unknown, @Req() req: FastifyRequest): Promise<GcResult> {
    const dto = parseRequest(s.gc, b);
    const report = await this.lifecycle.collectGarbage(
      { dryRun: dto.dry_run, ...(dto.older_than_days !== undefined ? { olderThanDays: dto.older_than_days } : {}) },
      metadataOf(req),
    );
    return {
      dry_run: report.dryRun,
      purged_runs: report.purgedRuns,
      purged_experiments: report.purgedExperiments,
      skipped: report.skipped.map((r) => ({ run_id: r.runId, reason: r.reason, model_versions: r.modelVersions })),
      skipped_experiments: report.skippedExperiments.map((e) => ({ experiment_id: e.experimentId, reason: e.reason })),
    };
  }
}
