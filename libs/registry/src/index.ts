export { RegistryModule } from './registry.module';
export { RunSummaryRepository } from './infra/run-summary.repository';
export { runSummarySubscription, RUN_SUMMARY_CONSUMER } from './application/run-summary.consumer';
export { evolveRunSummary, emptyRunSummary, type RunSummary } from './domain/run-summary';
