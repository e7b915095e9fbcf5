import { parseRegistryEvent } from '@cairn/contracts';
import { consumerReplay, rebuildReadModel, type ReadModelCheck, type ReadModelRebuild } from '@cairn/eventing';
import type { UnitOfWork } from '@cairn/platform';
import { runSummarySubscription } from '../application/run-summary.consumer';
import { projectRegistryEvent } from './registry-projection';
import type { RunSummaryRepository } from './run-summary.repository';

/** The registry's read model: every table `projectRegistryEvent` writes, from registry.events. */
export const REGISTRY_READ_MODEL_TABLES = [
  'registry.registered_models',
  'registry.registered_model_tags',
  'registry.model_versions',
  'registry.model_version_tags',
  'registry.registered_model_aliases',
] as const;

/** What the registry's tracking consumer learns from tracking.events. */
export const REGISTRY_CONSUMED_TABLES = ['registry.run_summaries', 'registry.logged_models'] as const;

/**
 * Rebuilds the registry's read model inside `tx`: empties it, replays tracking.events through the
 * run-summary consumer (run summaries, logged models), then registry.events through the projection
 * commands run — in that order, so a 3.x version finds its logged model's run as the live system
 * eventually does. Alias caches of running processes are not told: run it on a quiesced system
 * (see rebuildReadModel).
 */
export async function rebuildRegistryReadModel(tx: UnitOfWork, runSummaries: RunSummaryRepository) {
  return rebuildReadModel(tx, registryReadModelPlan(tx, runSummaries));
}

/** What the rebuild replays, and where (`tx`: the live tables, or an online rebuild's shadow copies). */
export function registryReadModelPlan(tx: UnitOfWork, runSummaries: RunSummaryRepository): ReadModelRebuild {
  return {
    tables: [...REGISTRY_READ_MODEL_TABLES, ...REGISTRY_CONSUMED_TABLES],
    replays: [
      consumerReplay(runSummarySubscription(runSummaries), 'tracking', tx),
      { log: 'registry', apply: (envelope) => projectRegistryEvent(tx, parseRegistryEvent(envelope.type, envelope.aggregateId, envelope.data)) },
    ],
  };
}

/** The registry's read model for `verify` (docs/operations.md): every table compared with a rebuild. */
export const registryReadModelCheck = (runSummaries: RunSummaryRepository): ReadModelCheck => ({
  context: 'registry',
  tables: [...REGISTRY_READ_MODEL_TABLES, ...REGISTRY_CONSUMED_TABLES],
  rebuild: (tx) => rebuildRegistryReadModel(tx, runSummaries),
  plan: (tx) => registryReadModelPlan(tx, runSummaries),
});
