import 'reflect-metadata';
import { GraphqlModule } from '@cairn/graphql';
import { runService } from '@cairn/runtime';
import { startTrackingLifecycleJobs, TrackingModule, trackingReadModelCheck, trackingSubscriptions } from '@cairn/tracking';

// The tracking context alone: MLflow's tracking API; its events leave through the outbox relay. It
// learns model-version references from the registry topic, and reaps orphans and runs GC on timers.
// It is also the distributed install's front door for browsers: the web UI's files at `/`, and
// MLflow's GraphQL (a read-side gateway over tracking's, artifacts' and registry's query services).
void runService({
  name: 'tracking-service',
  modules: () => [TrackingModule, GraphqlModule],
  relays: ['tracking'],
  subscriptions: (app) => trackingSubscriptions(app),
  readModels: () => [trackingReadModelCheck()],
  background: (runtime) => startTrackingLifecycleJobs(runtime),
  webUi: true,
});
