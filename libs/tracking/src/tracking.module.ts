import { Module } from '@nestjs/common';
import { systemClock } from '@cairn/eventing';
import { CONFIG, type CairnConfig } from '@cairn/platform';
import { RunEnvironmentController } from './api/run-environment.controller';
import { RunLifecycleController } from './api/run-lifecycle.controller';
import { TrackingController } from './api/tracking.controller';
import { lifecycleSettingsOf, TRACKING_CLOCK, TRACKING_LIFECYCLE_SETTINGS } from './application/ports';
import { RunLifecycle } from './application/run-lifecycle';
import { TrackingCommands } from './application/tracking-commands';
import { TrackingQueries } from './application/tracking-queries';
import { RunReferenceRepository } from './infra/run-reference.repository';
import { TrackingStore } from './infra/tracking-store';

/**
 * The tracking bounded context: MLflow's tracking REST API over an event-sourced read model, plus
 * Cairn's run lifecycle (heartbeats, orphan reaper, retention GC). Needs `CONFIG` and `Database`
 * (PlatformModule) and `EventStore` (the runtime's EventingModule) from its host; its consumer comes
 * from `trackingSubscriptions(app)`, its timers from `startTrackingLifecycleJobs(runtime)`.
 */
@Module({
  controllers: [TrackingController, RunLifecycleController, RunEnvironmentController],
  providers: [
    TrackingStore,
    TrackingCommands,
    TrackingQueries,
    RunLifecycle,
    RunReferenceRepository,
    { provide: TRACKING_CLOCK, useValue: systemClock },
    { provide: TRACKING_LIFECYCLE_SETTINGS, useFactory: (config: CairnConfig) => lifecycleSettingsOf(config), inject: [CONFIG] },
  ],
  exports: [TrackingQueries, RunReferenceRepository],
})
export class TrackingModule {}
