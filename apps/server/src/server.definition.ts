import type { INestApplicationContext } from '@nestjs/common';
import { RegistryModule, RunSummaryRepository, runSummarySubscription } from '@cairn/registry';
import { TrackingModule } from '@cairn/tracking';
import type { ServiceDefinition } from '@cairn/runtime';

/** The all-in-one process: every context, the in-process bus (or Kafka if configured). */
export const serverDefinition: ServiceDefinition = {
  name: 'server',
  modules: () => [TrackingModule, RegistryModule],
  relays: ['tracking', 'registry'],
  subscriptions: (app: INestApplicationContext) => [runSummarySubscription(app.get(RunSummaryRepository))],
};
