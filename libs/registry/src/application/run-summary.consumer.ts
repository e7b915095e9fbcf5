import type { UnitOfWork } from '@cairn/platform';
import { parseTrackingEvent, topicOf, TRACKING_EVENT_TYPES, type EventEnvelope } from '@cairn/contracts';
import { NonRetriableError, type Subscription } from '@cairn/eventing';
import { evolveRunSummary, runIdOf, RUN_SUMMARY_EVENT_TYPES } from '../domain/run-summary';
import type { RunSummaryRepository } from '../infra/run-summary.repository';

export const RUN_SUMMARY_CONSUMER = 'registry.run-summaries';

/**
 * Keeps `registry.run_summaries` (and `registry.logged_models`) up to date from the tracking topic. Applied in the bus's
 * transaction together with the inbox mark, so a redelivered event changes nothing.
 */
export function runSummarySubscription(repository: RunSummaryRepository): Omit<Subscription, 'onOutcome'> {
  return {
    consumer: RUN_SUMMARY_CONSUMER,
    context: 'registry',
    topics: [topicOf('tracking')],
    eventTypes: RUN_SUMMARY_EVENT_TYPES,
    handler: async (envelope: EventEnvelope, tx: UnitOfWork) => {
      let event;
      try {
        event = parseTrackingEvent(envelope.type, envelope.aggregateId, envelope.data);
      } catch (error) {
        throw new NonRetriableError(`unreadable tracking event: ${(error as Error).message}`, { cause: error });
      }
      if (event.type === TRACKING_EVENT_TYPES.loggedModelCreated) {
        const d = event.data;
        await repository.saveLoggedModel(tx, {
          modelId: d.modelId,
          experimentId: d.experimentId,
          sourceRunId: d.sourceRunId ?? null,
          artifactLocation: d.artifactLocation,
          creationTime: d.creationTime,
        });
        return;
      }
      // Garbage collection purged the run (never one a live version references): so does the registry.
      if (event.type === TRACKING_EVENT_TYPES.runPurged) {
        await repository.delete(tx, event.data.runId);
        return;
      }
      const runId = runIdOf(event);
      if (runId === undefined) return;
      const summary = await repository.loadForUpdate(tx, runId);
      await repository.save(tx, evolveRunSummary(summary, event), envelope.occurredAt);
    },
  };
}
