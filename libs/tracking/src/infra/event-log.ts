import { Inject, Injectable } from '@nestjs/common';
import { CairnError, type EventMetadata, type TrackingEvent } from '@cairn/contracts';
import { ConcurrencyError, EventStore } from '@cairn/eventing';
import type { TransactionClient } from '@cairn/platform';
import type { TrackingEventLog } from '../application/ports';

/** Tracking's events go to `tracking.events` + `tracking.outbox` through the shared EventStore. */
@Injectable()
export class EventStoreTrackingLog implements TrackingEventLog {
  constructor(@Inject(EventStore) private readonly store: EventStore) {}

  async append(tx: TransactionClient, aggregateId: string, expectedVersion: number | undefined, events: TrackingEvent[], metadata: EventMetadata): Promise<void> {
    try {
      await this.store.append(tx, 'tracking', events, metadata, expectedVersion === undefined ? undefined : { [aggregateId]: expectedVersion });
    } catch (error) {
      // Writers of one aggregate hold its row lock, so this means the read model and the log disagree
      // (or, without an expected version, that a writer appended without taking the lock).
      if (error instanceof ConcurrencyError) throw new CairnError('RESOURCE_CONFLICT', `Concurrent update of ${aggregateId}; retry the request.`);
      throw error;
    }
  }
}
