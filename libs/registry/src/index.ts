export { RegistryModule } from './registry.module';
export { RunSummaryRepository, type LoggedModelSummary } from './infra/run-summary.repository';
export { rebuildRegistryReadModel, REGISTRY_CONSUMED_TABLES, REGISTRY_READ_MODEL_TABLES } from './infra/read-model-rebuild';
export { runSummarySubscription, RUN_SUMMARY_CONSUMER } from './application/run-summary.consumer';
export { evolveRunSummary, emptyRunSummary, type RunSummary } from './domain/run-summary';
export { RegistryCommands } from './application/registry-commands';
export { RegistryQueries } from './application/registry-queries';
export { registeredModelDecider, type RegisteredModelState, type RegistryCommand } from './domain/registered-model';
export { modelVersionJson } from './api/wire';
