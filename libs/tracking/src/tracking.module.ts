import { Module } from '@nestjs/common';
import { systemClock } from '@cairn/eventing';
import { CONFIG, type CairnConfig } from '@cairn/platform';
import { RunEnvironmentController } from './api/run-environment.controller';
import { RunHistoryController } from './api/run-history.controller';
import { RunLifecycleController } from './api/run-lifecycle.controller';
import { TrackingController } from './api/tracking.controller';
import { OtlpBodyParser } from './api/otlp-body';
import { OtlpTracesController, TracesController } from './api/traces.controller';
import { lifecycleSettingsOf, TRACKING_CLOCK, TRACKING_LIFECYCLE_SETTINGS } from './application/ports';
import { RunHistoryQueries } from './application/run-history-queries';
import { RunLifecycle } from './application/run-lifecycle';
import { TrackingCommands } from './application/tracking-commands';
import { TrackingQueries } from './application/tracking-queries';
import { TraceCommands } from './application/trace-commands';
import { TraceQueries } from './application/trace-queries';
import { RunReferenceRepository } from './infra/run-reference.repository';
import { TraceStore } from './infra/trace-store';
import { TrackingStore } from './infra/tracking-store';

/**
 * The tracking bounded context: MLflow's tracking REST API over an event-sourced read model, plus
 * Cairn's run lifecycle (heartbeats, orphan reaper, retention GC). Needs `CONFIG` and `Database`
 * (PlatformModule) and `EventStore` (the runtime's EventingModule) from its host; its consumer comes
 * from `trackingSubscriptions(app)`, its timers from `startTrackingLifecycleJobs(runtime)`.
 */
@Module({
  controllers: [TrackingController, RunLifecycleController, RunEnvironmentController, RunHistoryController, TracesController, OtlpTracesController],
  providers: [
    TrackingStore,
    TrackingCommands,
    TrackingQueries,
    RunHistoryQueries,
    TraceStore,
    TraceCommands,
    TraceQueries,
    OtlpBodyParser,
    RunLifecycle,
    RunReferenceRepository,
    { provide: TRACKING_CLOCK, useValue: systemClock },
    { provide: TRACKING_LIFECYCLE_SETTINGS, useFactory: (config: CairnConfig) => lifecycleSettingsOf(config), inject: [CONFIG] },
  ],
  exports: [TrackingQueries, RunReferenceRepository],
})
export class TrackingModule {}
