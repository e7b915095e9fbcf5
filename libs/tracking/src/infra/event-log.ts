import { Inject, Injectable } from '@nestjs/common';
import { CairnError, type EventMetadata, type TrackingEvent } from '@cairn/contracts';
import { ConcurrencyError, EventStore } from '@cairn/eventing';
import { deferUntilCommit, type TransactionClient } from '@cairn/platform';
import type { TrackingEventLog } from '../application/ports';

/** Tracking's events go to `tracking.events` + `tracking.outbox` through the shared EventStore. */
@Injectable()
export class EventStoreTrackingLog implements TrackingEventLog {
  constructor(@Inject(EventStore) private readonly store: EventStore) {}

  async append(
    tx: TransactionClient,
    aggregateId: string,
    expectedVersion: number | undefined,
    events: TrackingEvent[],
    metadata: EventMetadata,
  ): Promise<void> {
    try {
      await this.store.append(tx, 'tracking', events, metadata, expectedVersion === undefined ? undefined : { [aggregateId]: expectedVersion });
    } catch (error) {
      throw conflictOf(error);
    }
  }

  appendAtCommit(tx: TransactionClient, events: TrackingEvent[], metadata: EventMetadata): void {
    this.store.appendAtCommit(
      (statement) => deferUntilCommit(tx, { ...statement, mapError: (error) => conflictOf(statement.mapError ? statement.mapError(error) : error) }),
      'tracking',
      events,
      metadata,
    );
  }
}

/**
 * Writers of one aggregate hold its row lock, so a ConcurrencyError means the read model and the log
 * disagree (or, without an expected version, that a writer appended without taking the lock).
 */
function conflictOf(error: unknown): unknown {
  if (error instanceof ConcurrencyError)
    return new CairnError('RESOURCE_CONFLICT', `Concurrent update of ${error.aggregateIds.join(', ')}; retry the request.`);
  return error;
}
