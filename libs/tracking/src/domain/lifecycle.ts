import { assertNever, type RunStatus } from '@cairn/contracts';
import type { LifecycleStage } from './run';

/**
 * Run lifecycle beyond MLflow (issue 7): orphaned RUNNING runs are closed by the reaper, and deleted
 * runs/experiments are purged by garbage collection once their retention has passed — but never a
 * run that a live model version references. Pure decisions; the application layer feeds them state
 * read under the aggregate's row lock.
 */

/** Why the reaper closed a run; in the `cairn.` namespace so MLflow's own tags are untouched. */
export const REAPED_REASON_TAG = 'cairn.reaped_reason';

export const DAY_MS = 86_400_000;

export type OrphanVerdict = { orphaned: false } | { orphaned: true; endTime: number; reason: string };

/**
 * A RUNNING, active run with no heartbeat and no write for `orphanTimeoutMs` is orphaned. Its
 * `endTime` is its last sign of life (not the reaping time, which may be a whole timeout later), so
 * the run's duration in the UI stays truthful.
 */
export function orphanVerdict(
  run: { status: RunStatus; lifecycleStage: LifecycleStage; startTime: number; lastActivityMs: number | null },
  at: { now: number; orphanTimeoutMs: number },
): OrphanVerdict {
  if (run.status !== 'RUNNING' || run.lifecycleStage !== 'active') return { orphaned: false };
  const lastActivity = run.lastActivityMs ?? run.startTime;
  const silentMs = at.now - lastActivity;
  if (silentMs < at.orphanTimeoutMs) return { orphaned: false };
  return {
    orphaned: true,
    endTime: Math.min(at.now, Math.max(run.startTime, lastActivity)),
    reason: `no heartbeat or write for ${Math.floor(silentMs / 1000)} s (orphan timeout ${Math.floor(at.orphanTimeoutMs / 1000)} s)`,
  };
}

/** A registered model version pointing at a run: by its `run_id`, its `runs:/` source, or a path inside the run. */
export interface ModelVersionReference {
  name: string;
  version: string;
}

export type RunGcVerdict = { kind: 'purge' } | { kind: 'keep' } | { kind: 'skip'; reason: string; modelVersions: ModelVersionReference[] };

/**
 * A run is purged when it is deleted, was deleted at or before `cutoff`, and no live model version
 * references it (the registry tells tracking through events; see registry-references.consumer.ts).
 * A referenced run is reported as skipped, naming the versions, so an operator knows what holds it.
 */
export function runGcVerdict(
  run: { lifecycleStage: LifecycleStage; deletedTime: number | null },
  references: readonly ModelVersionReference[],
  cutoff: number,
): RunGcVerdict {
  if (run.lifecycleStage !== 'deleted' || run.deletedTime === null || run.deletedTime > cutoff) return { kind: 'keep' };
  if (references.length === 0) return { kind: 'purge' };
  const versions = sortedReferences(references);
  return {
    kind: 'skip',
    reason: `referenced by registered model version${versions.length > 1 ? 's' : ''} ${versions.map((v) => `${v.name}/${v.version}`).join(', ')}`,
    modelVersions: versions,
  };
}

/** Why GC leaves a run in place, in words for its report; null when the run is due for purging. */
export function whyRunStays(
  run: { lifecycleStage: LifecycleStage; deletedTime: number | null },
  references: readonly ModelVersionReference[],
  cutoff: number,
): string | null {
  const verdict = runGcVerdict(run, references, cutoff);
  switch (verdict.kind) {
    case 'purge':
      return null;
    case 'skip':
      return verdict.reason;
    case 'keep':
      return run.lifecycleStage === 'active' ? 'it is active' : 'it was deleted within the retention period';
    default:
      return assertNever(verdict);
  }
}

export type ExperimentGcVerdict = { kind: 'purge' } | { kind: 'keep' } | { kind: 'skip'; reason: string };

/**
 * An experiment is purged only after every run of it is: purging it with runs left would orphan
 * them (and a referenced run must stay readable, with its experiment).
 */
export function experimentGcVerdict(
  experiment: { lifecycleStage: LifecycleStage; deletedTime: number | null },
  remainingRuns: readonly { runId: string; why: string }[],
  cutoff: number,
): ExperimentGcVerdict {
  if (experiment.lifecycleStage !== 'deleted' || experiment.deletedTime === null || experiment.deletedTime > cutoff) return { kind: 'keep' };
  const first = remainingRuns[0];
  if (first === undefined) return { kind: 'purge' };
  const more = remainingRuns.length > 1 ? ` (and ${remainingRuns.length - 1} more run${remainingRuns.length > 2 ? 's' : ''})` : '';
  return { kind: 'skip', reason: `run ${first.runId} is not purged: ${first.why}${more}` };
}

/** The retention cutoff: deletions at or before it are due. `olderThanDays` (ops, tests) overrides the configured retention. */
export function gcCutoff(now: number, retentionDays: number, olderThanDays?: number): number {
  return now - (olderThanDays ?? retentionDays) * DAY_MS;
}

function sortedReferences(references: readonly ModelVersionReference[]): ModelVersionReference[] {
  const unique = new Map(references.map((r) => [`${r.name}\u0000${r.version}`, { name: r.name, version: r.version }]));
  return [...unique.values()].sort((a, b) => a.name.localeCompare(b.name) || Number(a.version) - Number(b.version));
}
