import 'reflect-metadata';
import { RegistryModule, registryReadModelCheck, RunSummaryRepository, runSummarySubscription } from '@cairn/registry';
import { runService } from '@cairn/runtime';

// The registry context alone: consumes tracking events into its own projections.
void runService({
  name: 'registry-service',
  modules: () => [RegistryModule],
  relays: ['registry'],
  subscriptions: (app) => [runSummarySubscription(app.get(RunSummaryRepository))],
  readModels: (app) => [registryReadModelCheck(app.get(RunSummaryRepository))],
});
