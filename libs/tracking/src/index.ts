import type { INestApplicationContext } from '@nestjs/common';
import type { Subscription } from '@cairn/eventing';
import { registryReferencesSubscription } from './application/registry-references.consumer';
import { RunReferenceRepository } from './infra/run-reference.repository';

export { TrackingModule } from './tracking.module';
export { TrackingQueries } from './application/tracking-queries';
export type { ExperimentView, LoggedModelView, MetricView, RunView } from './application/views';
export { LIMITS as TRACKING_LIMITS } from './domain/limits';
export { validateBulkInterval } from './domain/validation';
export { REGISTRY_REFERENCES_CONSUMER, registryReferencesSubscription } from './application/registry-references.consumer';
export { RunReferenceRepository } from './infra/run-reference.repository';
export { rebuildTrackingReadModel, trackingReadModelCheck, TRACKING_CONSUMED_TABLES, TRACKING_READ_MODEL_TABLES } from './infra/read-model-rebuild';
export { REAPED_REASON_TAG } from './domain/lifecycle';
export { startTrackingLifecycleJobs } from './tracking-lifecycle.jobs';

/** The tracking context's consumers, for a composition root's `subscriptions(app)`. */
export function trackingSubscriptions(app: INestApplicationContext): Subscription[] {
  return [registryReferencesSubscription(app.get(RunReferenceRepository))];
}
export { experimentJson, metricJson, runJson } from './api/wire';
