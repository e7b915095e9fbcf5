import { Controller, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { CairnError, CONTEXTS, invalidParameter, type ContextName, type VerifyReadModelResponse } from '@cairn/contracts';
import { verifyReadModel, type ReadModelCheck } from '@cairn/eventing';
import { AccessRules, Database, JsonLogger } from '@cairn/platform';
import { READ_MODELS_ACCESS } from './read-models.access';

export const READ_MODEL_CHECKS = Symbol('ReadModelChecks');

/**
 * `POST /api/2.0/cairn/admin/read-models/<context>/verify`: the context's read model against a
 * rebuild from its event logs, rows that differ reported (docs/operations.md "Verify"). Changes nothing.
 */
@Controller('api/2.0/cairn/admin/read-models')
@AccessRules(READ_MODELS_ACCESS)
export class ReadModelsController {
  constructor(
    @Inject(READ_MODEL_CHECKS) private readonly checks: ReadonlyMap<ContextName, ReadModelCheck>,
    @Inject(Database) private readonly database: Database,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  @Post(':context/verify')
  @HttpCode(200)
  async verify(@Param('context') contextParam: string): Promise<VerifyReadModelResponse> {
    if (!(CONTEXTS as readonly string[]).includes(contextParam)) throw invalidParameter(`Unknown context '${contextParam}'; one of ${CONTEXTS.join(', ')}.`);
    const check = this.checks.get(contextParam as ContextName);
    if (check === undefined) throw new CairnError('INVALID_STATE', `the ${contextParam} read model is not served by this process`);
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
}
