import { Controller, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import {
  CairnError,
  CONTEXTS,
  invalidParameter,
  notFound,
  type ContextName,
  type ReadModelRebuildWire,
  type RebuildReadModelResponse,
  type VerifyReadModelResponse,
} from '@cairn/contracts';
import {
  RebuildAlreadyRunningError,
  readRebuildProgress,
  startOnlineRebuild,
  verifyReadModel,
  type ReadModelCheck,
  type RebuildProgress,
} from '@cairn/eventing';
import { AccessRules, accessOf, Database, JsonLogger } from '@cairn/platform';
import type { FastifyRequest } from 'fastify';
import { READ_MODELS_ACCESS } from './read-models.access';
import { ReadModelRebuildMetrics } from './read-model-rebuild-metrics';

export const READ_MODEL_CHECKS = Symbol('ReadModelChecks');

const toWire = (p: RebuildProgress): ReadModelRebuildWire => ({
  context: p.context,
  state: p.state,
  phase: p.phase,
  events_applied: p.eventsApplied,
  events_total: p.eventsTotal,
  started_at: p.startedAt,
  finished_at: p.finishedAt,
  started_by: p.startedBy,
  error: p.error,
});

/**
 * `POST /api/2.0/cairn/admin/read-models/<context>/verify`: the context's read model against a
 * rebuild from its event logs, rows that differ reported (docs/operations.md "Verify"). Changes nothing.
 * `POST …/<context>/rebuild` starts an online rebuild (ADR 0015) and answers at once; `GET …/rebuild`
 * reports its progress (from the database, so any replica answers).
 */
@Controller('api/2.0/cairn/admin/read-models')
@AccessRules(READ_MODELS_ACCESS)
export class ReadModelsController {
  constructor(
    @Inject(READ_MODEL_CHECKS) private readonly checks: ReadonlyMap<ContextName, ReadModelCheck>,
    @Inject(Database) private readonly database: Database,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(ReadModelRebuildMetrics) private readonly metrics: ReadModelRebuildMetrics,
  ) {}

  private checkOf(contextParam: string): ReadModelCheck {
    if (!(CONTEXTS as readonly string[]).includes(contextParam)) throw invalidParameter(`Unknown context '${contextParam}'; one of ${CONTEXTS.join(', ')}.`);
    const check = this.checks.get(contextParam as ContextName);
    if (check === undefined) throw new CairnError('INVALID_STATE', `the ${contextParam} read model is not served by this process`);
    return check;
  }

  @Post(':context/verify')
  @HttpCode(200)
  async verify(@Param('context') contextParam: string): Promise<VerifyReadModelResponse> {
    const check = this.checkOf(contextParam);
    const started = Date.now();
    const report = await verifyReadModel(this.database, check);
    this.logger.log(
      `read model ${report.context} verified in ${Date.now() - started} ms: ${report.rows} rows in ${report.tables} tables, ${report.differences.length} table(s) differ`,
      'operations',
    );
    return {
      context: report.context,
      tables: report.tables,
      rows: report.rows,
      consistent: report.differences.length === 0,
      differences: report.differences.map((d) => ({
        table: d.table,
        projection_only: d.projectionOnly,
        projection_only_count: d.projectionOnlyCount,
        rebuild_only: d.rebuildOnly,
        rebuild_only_count: d.rebuildOnlyCount,
      })),
    };
  }

  @Post(':context/rebuild')
  @HttpCode(202)
  async rebuild(@Param('context') contextParam: string, @Req() req: FastifyRequest): Promise<RebuildReadModelResponse> {
    const check = this.checkOf(contextParam);
    const startedBy = accessOf(req).principal.actor;
    try {
      const started = await startOnlineRebuild(this.database, check, { startedBy, logger: this.logger.pino.child({ context: 'operations' }) });
      void started.finished.then((done) => this.metrics.finished(done));
      return { rebuild: toWire(started.progress) };
    } catch (error) {
      if (error instanceof RebuildAlreadyRunningError) throw new CairnError('INVALID_STATE', error.message);
      throw error;
    }
  }

  @Get(':context/rebuild')
  async rebuildProgress(@Param('context') contextParam: string): Promise<RebuildReadModelResponse> {
    const check = this.checkOf(contextParam);
    const progress = await readRebuildProgress(this.database, check.context);
    if (progress === null) throw notFound(`No rebuild of the ${check.context} read model has run.`);
    return { rebuild: toWire(progress) };
  }
}
