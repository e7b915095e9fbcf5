import { parseTrackingEvent, type EventEnvelope } from '@cairn/contracts';
import { consumerReplay, rebuildReadModel, type ReadModelCheck, type ReadModelRebuild, type TableSnapshot } from '@cairn/eventing';
import type { UnitOfWork } from '@cairn/platform';
import { registryReferencesSubscription } from '../application/registry-references.consumer';
import { project } from './projection';
import { RunReferenceRepository } from './run-reference.repository';
import * as q from './sql';
import * as tq from './trace-sql';

/** Tracking's read model: every table `project()` writes, from tracking.events. */
export const TRACKING_READ_MODEL_TABLES = [
  'tracking.experiments',
  'tracking.experiment_tags',
  'tracking.runs',
  'tracking.metric_chunks',
  'tracking.latest_metrics',
  'tracking.params',
  'tracking.tags',
  'tracking.datasets',
  'tracking.inputs',
  'tracking.input_tags',
  'tracking.run_outputs',
  'tracking.logged_models',
  'tracking.logged_model_tags',
  'tracking.logged_model_params',
  'tracking.logged_model_metrics',
  'tracking.traces',
  'tracking.trace_tags',
  'tracking.trace_metadata',
  'tracking.trace_assessments',
] as const;

/** What tracking's registry consumer learns from registry.events. */
export const TRACKING_CONSUMED_TABLES = ['tracking.run_references'] as const;

// A run's last activity is server time of heartbeats and writes, in no event: kept across the rebuild
// (else every running run would look silent since its start to the orphan reaper).
const SAVE_RUN_ACTIVITY = `
  CREATE TEMP TABLE rebuild_run_activity ON COMMIT DROP AS
  SELECT run_uuid, last_activity_ms FROM tracking.runs WHERE last_activity_ms IS NOT NULL`;
const RESTORE_RUN_ACTIVITY = `
  UPDATE tracking.runs r SET last_activity_ms = a.last_activity_ms FROM rebuild_run_activity a WHERE a.run_uuid = r.run_uuid`;
const DROP_RUN_ACTIVITY = `DROP TABLE rebuild_run_activity`;

const EXPERIMENT_EVENT = /^tracking\.experiment\./;
const LOGGED_MODEL_EVENT = /^tracking\.logged_model\./;
const TRACE_EVENT = /^tracking\.trace\./;

/**
 * Rebuilds tracking's read model inside `tx`: empties it, then replays tracking.events through the
 * projection commands run (`project`), restoring the aggregate versions experiments and logged models
 * are written with; then registry.events through tracking's registry consumer, whose table
 * (run_references) is a function of that log. Replays the whole of both logs: run it on a quiesced
 * system (see rebuildReadModel).
 */
export async function rebuildTrackingReadModel(tx: UnitOfWork) {
  return rebuildReadModel(tx, trackingReadModelPlan(tx));
}

/** What the rebuild replays, and where (`tx`: the live tables, or an online rebuild's shadow copies). */
export function trackingReadModelPlan(tx: UnitOfWork): ReadModelRebuild {
  return {
    tables: [...TRACKING_READ_MODEL_TABLES, ...TRACKING_CONSUMED_TABLES],
    replays: [
      { log: 'tracking', apply: (envelope) => applyTrackingEvent(tx, envelope) },
      // After tracking's own log: a 3.x version's run is its logged model's, read from tracking.logged_models.
      consumerReplay(registryReferencesSubscription(new RunReferenceRepository()), 'registry', tx),
    ],
    keep: { save: [SAVE_RUN_ACTIVITY], restore: [RESTORE_RUN_ACTIVITY, DROP_RUN_ACTIVITY] },
  };
}

/**
 * Metric history as points, not chunk rows: compaction (ADR 0016) merges a series' chunks without
 * changing a point or its place in the history, and a replay draws new chunk ids. Each point with
 * its rank in the history's order (step, timestamp, then chunk and index, as reads order ties).
 */
const METRIC_POINTS = `
  SELECT c.run_uuid, c.key, u.step, u.timestamp, u.value, u.is_nan, u.model_id, u.dataset_name, u.dataset_digest,
         row_number() OVER (PARTITION BY c.run_uuid, c.key ORDER BY u.step, u.timestamp, c.chunk_id, u.i) AS history_rank
  FROM tracking.metric_chunks c
  CROSS JOIN LATERAL unnest(c.steps, c.timestamps, c.metric_values, c.is_nans, c.model_ids, c.dataset_names, c.dataset_digests) WITH ORDINALITY
    AS u(step, timestamp, value, is_nan, model_id, dataset_name, dataset_digest, i)`;

const VERIFIED_TABLES: Partial<Record<string, TableSnapshot>> = {
  'tracking.metric_chunks': { table: 'tracking.metric_chunks', rows: METRIC_POINTS },
  // The widest chunk of a series: compaction widens it, a replay of one-point chunks does not.
  'tracking.latest_metrics': { table: 'tracking.latest_metrics', exclude: ['max_chunk_span'] },
};

/**
 * Tracking's read model for `verify` (docs/operations.md): the tables compared with a rebuild,
 * metric history as its points (METRIC_POINTS).
 */
export const trackingReadModelCheck = (): ReadModelCheck => ({
  context: 'tracking',
  tables: [...TRACKING_READ_MODEL_TABLES, ...TRACKING_CONSUMED_TABLES].map((table) => VERIFIED_TABLES[table] ?? table),
  rebuild: (tx) => rebuildTrackingReadModel(tx),
  plan: trackingReadModelPlan,
});

async function applyTrackingEvent(tx: UnitOfWork, envelope: EventEnvelope): Promise<void> {
  await project(tx, parseTrackingEvent(envelope.type, envelope.aggregateId, envelope.data));
  // Commands read these versions as the expected version of their next append.
  if (EXPERIMENT_EVENT.test(envelope.type)) await tx.query(q.SET_EXPERIMENT_VERSION, [envelope.aggregateId, envelope.aggregateVersion]);
  else if (LOGGED_MODEL_EVENT.test(envelope.type)) await tx.query(q.SET_LOGGED_MODEL_VERSION, [envelope.aggregateId, envelope.aggregateVersion]);
  else if (TRACE_EVENT.test(envelope.type)) await tx.query(tq.SET_TRACE_VERSION, [(envelope.data as { traceId: string }).traceId, envelope.aggregateVersion]);
}
