import { parseArtifactsEvent } from '@cairn/contracts';
import { rebuildReadModel, type ReadModelCheck, type ReadModelRebuild } from '@cairn/eventing';
import type { UnitOfWork } from '@cairn/platform';
import { recordModelVersionRefs, recordPolicyMetrics } from '../application/consumers';
import type { INestApplicationContext } from '@nestjs/common';
import { ArtifactRepository } from './artifact-repository';
import { projectArtifactsEvents } from './artifacts-projection';

/**
 * The artifacts context's read model from artifacts.events. Not `blob_garbage`: it is the queue of
 * blob deletions still to do, not a view of the log (a replay may queue a key again; deleting a
 * blob twice is harmless).
 */
export const ARTIFACTS_READ_MODEL_TABLES = [
  'artifacts.files',
  'artifacts.objects',
  'artifacts.retention_policies',
  'artifacts.quotas',
  'artifacts.purged_runs',
] as const;

/** What the artifacts consumers learn from tracking.events and registry.events. */
export const ARTIFACTS_CONSUMED_TABLES = ['artifacts.run_metrics', 'artifacts.model_version_refs'] as const;

/**
 * Rebuilds the artifacts read model inside `tx`: empties it, replays artifacts.events through the
 * projection commands run, then the projection halves of the consumers — tracking.events (metric
 * points of the keys the rebuilt policies rank by) and registry.events (model-version references) —
 * without their decisions (retention, collection), whose outcomes are already in artifacts.events.
 *
 * One difference from the live table, by design: run_metrics holds every point of the keys today's
 * policies rank by, where the live consumer kept only those logged while such a policy existed (and
 * kept the points of a key whose policy went since). Only today's policies read it.
 */
export async function rebuildArtifactsReadModel(tx: UnitOfWork, repository: ArtifactRepository) {
  return rebuildReadModel(tx, artifactsReadModelPlan(tx, repository));
}

/** What the rebuild replays, and where (`tx`: the live tables, or an online rebuild's shadow copies). */
export function artifactsReadModelPlan(tx: UnitOfWork, repository: ArtifactRepository): ReadModelRebuild {
  return {
    tables: [...ARTIFACTS_READ_MODEL_TABLES, ...ARTIFACTS_CONSUMED_TABLES],
    replays: [
      {
        log: 'artifacts',
        apply: (envelope) =>
          projectArtifactsEvents(repository, tx, [parseArtifactsEvent(envelope.type, envelope.aggregateId, envelope.data)], envelope.occurredAt),
      },
      { log: 'tracking', apply: async (envelope) => void (await recordPolicyMetrics(repository, tx, envelope)) },
      { log: 'registry', apply: async (envelope) => void (await recordModelVersionRefs(repository, tx, envelope)) },
    ],
    // Deletions a replay queues were queued (and done) when the events happened.
    scratch: ['artifacts.blob_garbage'],
  };
}

/** Artifacts' read model for `verify` (docs/operations.md): files by upload order within an owner (a replay draws new seq values). */
export const artifactsReadModelCheck = (repository: ArtifactRepository): ReadModelCheck => ({
  context: 'artifacts',
  tables: [...ARTIFACTS_READ_MODEL_TABLES, ...ARTIFACTS_CONSUMED_TABLES].map((table) =>
    table === 'artifacts.files' ? { table, orderWithin: { column: 'seq', partition: ['owner_id'] } } : table,
  ),
  rebuild: (tx) => rebuildArtifactsReadModel(tx, repository),
  plan: (tx) => artifactsReadModelPlan(tx, repository),
});

/** The artifacts context's read models, for a composition root's `readModels(app)`. */
export const artifactsReadModelChecks = (app: INestApplicationContext): ReadModelCheck[] => [artifactsReadModelCheck(app.get(ArtifactRepository))];
