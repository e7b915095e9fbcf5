import { Inject, Injectable } from '@nestjs/common';
import { parseTrackingEvent, TRACKING_EVENT_TYPES } from '@cairn/contracts';
import { EventStore } from '@cairn/eventing';
import { Database } from '@cairn/platform';
import { describeRunChange } from '../domain/run-history';
import { TrackingQueries } from './tracking-queries';
import type { Page, RunChangeView } from './views';

/** Above every stream version (an int4 column): a history read from the newest change. */
const FROM_NEWEST = 2_147_483_647;

/** A run's history, read from its event stream (the read model keeps only the latest state). */
@Injectable()
export class RunHistoryQueries {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(EventStore) private readonly events: EventStore,
    @Inject(TrackingQueries) private readonly queries: TrackingQueries,
  ) {}

  /**
   * A page of the run's changes, newest first: who created it, set which params and tags, logged
   * which metrics, ended or deleted it. `before` is the sequence the previous page ended at (its
   * page token); `withMetrics: false` leaves out the metric batches, most of a long run's stream.
   */
  async runHistory(runId: string, before: number | undefined, limit: number, withMetrics: boolean): Promise<Page<RunChangeView>> {
    await this.queries.run(runId); // 404 for an unknown run, as every run read
    const excluded = withMetrics ? [] : [TRACKING_EVENT_TYPES.metricsLogged];
    const envelopes = await this.events.readStreamBackward(this.db, 'tracking', runId, before ?? FROM_NEWEST, limit + 1, excluded);
    const items = envelopes.slice(0, limit).map((envelope): RunChangeView => {
      const { summary, details } = describeRunChange(parseTrackingEvent(envelope.type, envelope.aggregateId, envelope.data));
      return {
        eventId: envelope.eventId,
        type: envelope.type,
        actor: envelope.actor,
        occurredAt: envelope.occurredAt,
        sequence: envelope.aggregateVersion,
        summary,
        details,
      };
    });
    const last = items.at(-1);
    return envelopes.length > limit && last !== undefined ? { items, nextPageToken: String(last.sequence) } : { items };
  }
}
