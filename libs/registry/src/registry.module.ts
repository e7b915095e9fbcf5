import { Module } from '@nestjs/common';
import { AliasResolveRoute } from './api/alias-resolve.route';
import { CairnRegistryController } from './api/cairn-registry.controller';
import { RegistryController } from './api/registry.controller';
import { RunSummaryController } from './api/run-summary.controller';
import { AliasResolver } from './application/alias-resolution';
import { ModelReadCache } from './application/model-read-cache';
import { ModelReadRoutes } from './api/model-reads.route';
import { PromotionService } from './application/promotion';
import { RegistryCommands } from './application/registry-commands';
import { RegistryQueries } from './application/registry-queries';
import { StageTransitions } from './application/stage-transitions';
import { AliasNotifications } from './infra/alias-notifications';
import { RegistryStore } from './infra/registry-store';
import { RunSummaryRepository } from './infra/run-summary.repository';

/**
 * The registry context: MLflow's model registry API over an event-sourced registered-model
 * aggregate, Cairn's history/as-of/lineage reads, alias resolution for serving pods, and the
 * projection of tracking runs (and logged models) that lineage is built on.
 */
@Module({
  controllers: [RegistryController, CairnRegistryController, RunSummaryController],
  providers: [
    RunSummaryRepository,
    RegistryStore,
    RegistryCommands,
    RegistryQueries,
    AliasNotifications,
    ModelReadCache,
    AliasResolver,
    PromotionService,
    StageTransitions,
    AliasResolveRoute,
    ModelReadRoutes,
  ],
  exports: [RunSummaryRepository, RegistryCommands, RegistryQueries],
})
export class RegistryModule {}
