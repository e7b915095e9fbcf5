import { Module } from '@nestjs/common';
import { RunSummaryController } from './api/run-summary.controller';
import { RunSummaryRepository } from './infra/run-summary.repository';

/** The registry context. So far: its projection of tracking runs, the basis of lineage. */
@Module({
  controllers: [RunSummaryController],
  providers: [RunSummaryRepository],
  exports: [RunSummaryRepository],
})
export class RegistryModule {}
