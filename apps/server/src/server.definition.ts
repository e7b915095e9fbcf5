import type { INestApplicationContext } from '@nestjs/common';
import { GraphqlModule } from '@cairn/graphql';
import { ArtifactsModule, artifactsReadinessProbes, artifactsReadModelChecks, artifactsSubscriptions } from '@cairn/artifacts';
import { RegistryModule, registryReadModelCheck, RunSummaryRepository, runSummarySubscription } from '@cairn/registry';
import type { ServiceDefinition } from '@cairn/runtime';
import { startTrackingLifecycleJobs, TrackingModule, trackingReadModelCheck, trackingSubscriptions } from '@cairn/tracking';
import { WebhooksModule, webhooksSubscriptions } from '@cairn/webhooks';

/** The all-in-one process: every context, the in-process bus (or Kafka if configured). */
export const serverDefinition: ServiceDefinition = {
  name: 'server',
  embeddedDefaults: true,
  modules: () => [TrackingModule, RegistryModule, ArtifactsModule, WebhooksModule, GraphqlModule],
  relays: ['tracking', 'registry', 'artifacts'],
  subscriptions: (app: INestApplicationContext) => [
    runSummarySubscription(app.get(RunSummaryRepository)),
    ...artifactsSubscriptions(app),
    ...trackingSubscriptions(app),
    ...webhooksSubscriptions(app),
  ],
  readModels: (app: INestApplicationContext) => [
    trackingReadModelCheck(),
    registryReadModelCheck(app.get(RunSummaryRepository)),
    ...artifactsReadModelChecks(app),
  ],
  probes: (runtime) => artifactsReadinessProbes(runtime),
  // Orphan reaper and retention GC (one replica each, advisory lock).
  background: (runtime) => startTrackingLifecycleJobs(runtime),
  // The web UI (dist/apps/web) at `/`.
  webUi: true,
};
