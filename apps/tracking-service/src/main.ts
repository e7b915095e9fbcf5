import 'reflect-metadata';
import { runService } from '@cairn/runtime';
import { startTrackingLifecycleJobs, TrackingModule, trackingReadModelCheck, trackingSubscriptions } from '@cairn/tracking';

// The tracking context alone: MLflow's tracking API; its events leave through the outbox relay. It
// learns model-version references from the registry topic, and reaps orphans and runs GC on timers.
void runService({
  name: 'tracking-service',
  modules: () => [TrackingModule],
  relays: ['tracking'],
  subscriptions: (app) => trackingSubscriptions(app),
  readModels: () => [trackingReadModelCheck()],
  background: (runtime) => startTrackingLifecycleJobs(runtime),
});
