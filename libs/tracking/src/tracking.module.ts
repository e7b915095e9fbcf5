import { Module } from '@nestjs/common';
import { TrackingController } from './api/tracking.controller';
import { TRACKING_CLOCK, TRACKING_EVENT_LOG, systemClock } from './application/ports';
import { TrackingCommands } from './application/tracking-commands';
import { TrackingQueries } from './application/tracking-queries';
import { EventStoreTrackingLog } from './infra/event-log';
import { TrackingStore } from './infra/tracking-store';

/**
 * The tracking bounded context: MLflow's tracking REST API over an event-sourced read model.
 * Needs `Database` (PlatformModule) and `EventStore` (the runtime's EventingModule) from its host.
 */
@Module({
  controllers: [TrackingController],
  providers: [
    TrackingStore,
    TrackingCommands,
    TrackingQueries,
    { provide: TRACKING_EVENT_LOG, useClass: EventStoreTrackingLog },
    { provide: TRACKING_CLOCK, useValue: systemClock },
  ],
  exports: [TrackingQueries],
})
export class TrackingModule {}
