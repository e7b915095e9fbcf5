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

/** Tracking events the artifacts context applies: metrics some retention policy may rank by, run purges (ADR 0011: others are skipped). */
export const ARTIFACTS_TRACKING_EVENT_TYPES: ReadonlySet<string> = new Set<string>([TRACKING_EVENT_TYPES.metricsLogged, TRACKING_EVENT_TYPES.runPurged]);

/** Registry events that change model-version sources or references. */
export const ARTIFACTS_REGISTRY_EVENT_TYPES: ReadonlySet<string> = new Set<string>([
  REGISTRY_EVENT_TYPES.modelVersionCreated,
  REGISTRY_EVENT_TYPES.modelVersionDeleted,
  REGISTRY_EVENT_TYPES.registeredModelRenamed,
  REGISTRY_EVENT_TYPES.registeredModelDeleted,
]);

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

/**
 * The projection half of the tracking consumer: a metrics event's points of the keys some policy
 * ranks by, into `artifacts.run_metrics` — not a second copy of tracking's metric store. Most
 * installations rank by none, and then a 1000-point event is not even validated. Returns the run and
 * the keys recorded, or null when nothing was.
 */
export async function recordPolicyMetrics(
  repository: ArtifactRepository,
  tx: UnitOfWork,
  envelope: EventEnvelope,
): Promise<{ runId: string; keys: Set<string> } | null> {
  if (envelope.type !== TRACKING_EVENT_TYPES.metricsLogged) return null;
  const keys = await repository.policyMetricKeys(tx);
  if (keys.size === 0) return null;
  const event = parse(() => parseTrackingEvent(envelope.type, envelope.aggregateId, envelope.data), 'tracking');
  if (event.type !== TRACKING_EVENT_TYPES.metricsLogged) return null;
  const points = event.data.metrics
    .filter((m) => keys.has(m.key))
    .map((m) => ({ key: m.key, step: m.step, timestamp: m.timestamp, value: typeof m.value === 'number' ? m.value : (SPECIAL[m.value] ?? Number.NaN) }));
  if (points.length === 0) return null;
  await repository.saveRunMetrics(tx, event.data.runId, points);
  return { runId: event.data.runId, keys: new Set(points.map((p) => p.key)) };
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
    // Its work ends in blob deletions (sweepSoon) once it commits: not before the commit is on disk.
    commitDurably: true,
    topics: [topicOf('tracking')],
    eventTypes: ARTIFACTS_TRACKING_EVENT_TYPES,
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
      const recorded = await recordPolicyMetrics(repository, tx, envelope);
      if (recorded === null) return;
      // A checkpoint kept because its metric was unknown is decided now that the metric is here.
      for (const experimentId of await repository.experimentsOfOwner(tx, recorded.runId)) {
        for (const policy of await repository.policiesOf(experimentId, tx)) {
          if (policy.metricKey === null || !recorded.keys.has(policy.metricKey)) continue;
          appliedRetention.add(envelope.eventId);
          await retention.apply(tx, policy, recorded.runId, metadataOf(envelope));
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
    // Its work ends in blob deletions (sweepSoon) once it commits: not before the commit is on disk.
    commitDurably: true,
    topics: [topicOf('registry')],
    eventTypes: ARTIFACTS_REGISTRY_EVENT_TYPES,
    // Only a removed reference can free blobs (a purged run's, collected now that nothing holds it).
    onOutcome: (outcome, event) => outcome === 'applied' && event !== null && RELEASING_REGISTRY_EVENTS.has(event.type) && collector.sweepSoon(),
    handler: async (envelope: EventEnvelope, tx: UnitOfWork) => {
      const released = await recordModelVersionRefs(repository, tx, envelope);
      const runIds = new Set(released.flatMap((r) => runsReferencedByModelVersion(r)));
      for (const runId of runIds) await collection.onReferenceRemoved(tx, runId, metadataOf(envelope));
    },
  };
}

/**
 * The projection half of the registry consumer: model-version sources and references into
 * `artifacts.model_version_refs`. Returns the references a deletion removed.
 */
export async function recordModelVersionRefs(
  repository: ArtifactRepository,
  tx: UnitOfWork,
  envelope: EventEnvelope,
): Promise<Array<{ runId: string | null; source: string }>> {
  if (!ARTIFACTS_REGISTRY_EVENT_TYPES.has(envelope.type)) return [];
  const event = parse(() => parseRegistryEvent(envelope.type, envelope.aggregateId, envelope.data), 'registry');
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
      return [];
    case REGISTRY_EVENT_TYPES.registeredModelRenamed:
      await repository.renameModelRefs(tx, event.data.modelId, event.data.newName);
      return [];
    case REGISTRY_EVENT_TYPES.modelVersionDeleted:
      return repository.deleteModelVersionRef(tx, event.data.modelId, event.data.version);
    case REGISTRY_EVENT_TYPES.registeredModelDeleted:
      return repository.deleteModelRefs(tx, event.data.modelId);
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
      return []; // nothing about where artifacts are or who references them
  }
}
/** The artifacts context's consumers, for a composition root's `subscriptions(app)`. */
export function artifactsSubscriptions(app: INestApplicationContext): Array<Subscription> {
  const repository = app.get(ArtifactRepository);
  const collection = app.get(RunCollection);
  const collector = app.get(BlobCollector);
  return [trackingSubscription(repository, collection, collector, app.get(RetentionEnforcer)), registrySubscription(repository, collection, collector)];
}
