import type { INestApplicationContext } from '@nestjs/common';
import {
  parseRegistryEvent,
  parseTrackingEvent,
  REGISTRY_EVENT_TYPES,
  runsReferencedByModelVersion,
  topicOf,
  TRACKING_EVENT_TYPES,
  type EventEnvelope,
  type EventMetadata,
} from '@cairn/contracts';
import { NonRetriableError, type Subscription } from '@cairn/eventing';
import type { UnitOfWork } from '@cairn/platform';
import { ArtifactRepository } from '../infra/artifact-repository';
import { BlobCollector } from './blob-collector';
import { RetentionEnforcer } from './retention-enforcer';
import { RunCollection } from './run-collection';

export const TRACKING_CONSUMER = 'artifacts.tracking';
export const REGISTRY_CONSUMER = 'artifacts.registry-references';

const RELEASING_REGISTRY_EVENTS = new Set<string>([REGISTRY_EVENT_TYPES.modelVersionDeleted, REGISTRY_EVENT_TYPES.registeredModelDeleted]);

const SPECIAL: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

const metadataOf = (event: EventEnvelope): EventMetadata => ({ actor: event.actor, correlationId: event.correlationId, causationId: event.eventId });

function parse<T>(parser: () => T, what: string): T {
  try {
    return parser();
  } catch (error) {
    throw new NonRetriableError(`unreadable ${what} event: ${(error as Error).message}`, { cause: error });
  }
}

/** Tracking → artifacts: metrics that retention policies rank by, and run purges (collection). */
export function trackingSubscription(
  repository: ArtifactRepository,
  collection: RunCollection,
  collector: BlobCollector,
  retention: RetentionEnforcer,
): Subscription {
  // Events whose handling applied a retention policy, which may have freed blobs.
  const appliedRetention = new Set<string>();
  return {
    consumer: TRACKING_CONSUMER,
    context: 'artifacts',
    topics: [topicOf('tracking')],
    // Blobs freed by a collection or a retention policy are deleted once its transaction has
    // committed. Only those events free any: a sweep after every metric event would be a
    // transaction per event for nothing (the periodic sweep is the safety net either way).
    onOutcome: (outcome, event) => {
      if (event === null) return;
      const mayHaveFreed = appliedRetention.delete(event.eventId) || event.type === TRACKING_EVENT_TYPES.runPurged;
      if (outcome === 'applied' && mayHaveFreed) collector.sweepSoon();
    },
    handler: async (envelope: EventEnvelope, tx: UnitOfWork) => {
      // Tracking's garbage collection purged a deleted run: its files are collected (unless referenced).
      if (envelope.type === TRACKING_EVENT_TYPES.runPurged) {
        const event = parse(() => parseTrackingEvent(envelope.type, envelope.aggregateId, envelope.data), 'run purge');
        if (event.type === TRACKING_EVENT_TYPES.runPurged) await collection.onRunPurged(tx, event.data.runId, metadataOf(envelope));
        return;
      }
      if (envelope.type !== TRACKING_EVENT_TYPES.metricsLogged) return;
      // Only keys some policy ranks by: this is not a second copy of tracking's metric store. Most
      // installations rank by none, and then a 1000-point event is not even validated.
      const keys = await repository.policyMetricKeys(tx);
      if (keys.size === 0) return;
      const event = parse(() => parseTrackingEvent(envelope.type, envelope.aggregateId, envelope.data), 'tracking');
      if (event.type !== TRACKING_EVENT_TYPES.metricsLogged) return;
      const points = event.data.metrics
        .filter((m) => keys.has(m.key))
        .map((m) => ({ key: m.key, step: m.step, timestamp: m.timestamp, value: typeof m.value === 'number' ? m.value : (SPECIAL[m.value] ?? Number.NaN) }));
      if (points.length === 0) return;
      await repository.saveRunMetrics(tx, event.data.runId, points);
      // A checkpoint kept because its metric was unknown is decided now that the metric is here.
      const loggedKeys = new Set(points.map((p) => p.key));
      for (const experimentId of await repository.experimentsOfOwner(tx, event.data.runId)) {
        for (const policy of await repository.policiesOf(experimentId, tx)) {
          if (policy.metricKey === null || !loggedKeys.has(policy.metricKey)) continue;
          appliedRetention.add(envelope.eventId);
          await retention.apply(tx, policy, event.data.runId, metadataOf(envelope));
        }
      }
    },
  };
}

/**
 * Registry → artifacts: model-version sources (served by `/model-versions/get-artifact`) and the
 * references that keep a purged run's artifacts from collection until the last version goes.
 */
export function registrySubscription(repository: ArtifactRepository, collection: RunCollection, collector: BlobCollector): Subscription {
  return {
    consumer: REGISTRY_CONSUMER,
    context: 'artifacts',
    topics: [topicOf('registry')],
    // Only a removed reference can free blobs (a purged run's, collected now that nothing holds it).
    onOutcome: (outcome, event) => outcome === 'applied' && event !== null && RELEASING_REGISTRY_EVENTS.has(event.type) && collector.sweepSoon(),
    handler: async (envelope: EventEnvelope, tx: UnitOfWork) => {
      const relevant: string[] = [
        REGISTRY_EVENT_TYPES.modelVersionCreated,
        REGISTRY_EVENT_TYPES.modelVersionDeleted,
        REGISTRY_EVENT_TYPES.registeredModelRenamed,
        REGISTRY_EVENT_TYPES.registeredModelDeleted,
      ];
      if (!relevant.includes(envelope.type)) return;
      const event = parse(() => parseRegistryEvent(envelope.type, envelope.aggregateId, envelope.data), 'registry');
      let released: Array<{ runId: string | null; source: string }> = [];
      switch (event.type) {
        case REGISTRY_EVENT_TYPES.modelVersionCreated:
          await repository.saveModelVersionRef(tx, {
            modelId: event.data.modelId,
            version: event.data.version,
            name: event.data.name,
            source: event.data.source,
            runId: event.data.runId,
            loggedModelId: event.data.loggedModelId,
          });
          return;
        case REGISTRY_EVENT_TYPES.registeredModelRenamed:
          await repository.renameModelRefs(tx, event.data.modelId, event.data.newName);
          return;
        case REGISTRY_EVENT_TYPES.modelVersionDeleted:
          released = await repository.deleteModelVersionRef(tx, event.data.modelId, event.data.version);
          break;
        case REGISTRY_EVENT_TYPES.registeredModelDeleted:
          released = await repository.deleteModelRefs(tx, event.data.modelId);
          break;
        case REGISTRY_EVENT_TYPES.registeredModelCreated:
        case REGISTRY_EVENT_TYPES.registeredModelUpdated:
        case REGISTRY_EVENT_TYPES.registeredModelTagSet:
        case REGISTRY_EVENT_TYPES.registeredModelTagDeleted:
        case REGISTRY_EVENT_TYPES.modelVersionUpdated:
        case REGISTRY_EVENT_TYPES.modelVersionStageTransitioned:
        case REGISTRY_EVENT_TYPES.modelVersionTagSet:
        case REGISTRY_EVENT_TYPES.modelVersionTagDeleted:
        case REGISTRY_EVENT_TYPES.aliasSet:
        case REGISTRY_EVENT_TYPES.aliasDeleted:
        case REGISTRY_EVENT_TYPES.promotionDecided:
          return; // nothing about where artifacts are or who references them
      }
      const runIds = new Set(released.flatMap((r) => runsReferencedByModelVersion(r)));
      for (const runId of runIds) await collection.onReferenceRemoved(tx, runId, metadataOf(envelope));
    },
  };
}

/** The artifacts context's consumers, for a composition root's `subscriptions(app)`. */
export function artifactsSubscriptions(app: INestApplicationContext): Array<Subscription> {
  const repository = app.get(ArtifactRepository);
  const collection = app.get(RunCollection);
  const collector = app.get(BlobCollector);
  return [trackingSubscription(repository, collection, collector, app.get(RetentionEnforcer)), registrySubscription(repository, collection, collector)];
}
