import { Inject, Injectable } from '@nestjs/common';
import { assertNever, notFound, type EventMetadata, type RunStatus } from '@cairn/contracts';
import type { Clock } from '@cairn/eventing';
import { experimentGcVerdict, gcCutoff, runGcVerdict, whyRunStays, type ModelVersionReference, type RunGcVerdict } from '../domain/lifecycle';
import { TrackingStore } from '../infra/tracking-store';
import { TRACKING_CLOCK, TRACKING_LIFECYCLE_SETTINGS, type LifecycleSettings } from './ports';
import { TrackingCommands } from './tracking-commands';

/** Runs/experiments looked at per pass: a backlog is worked off over several passes, each bounded. */
const REAP_BATCH = 1000;
const GC_RUN_BATCH = 1000;
const GC_EXPERIMENT_BATCH = 100;
/** Enough runs to say why an experiment stays, in a dry run. */
const DRY_RUN_RUNS_PER_EXPERIMENT = 10_000;

export interface GcReport {
  dryRun: boolean;
  purgedRuns: string[];
  purgedExperiments: string[];
  skipped: { runId: string; reason: string; modelVersions: ModelVersionReference[] }[];
  skippedExperiments: { experimentId: string; reason: string }[];
}

/**
 * Runs that cannot be orphaned, and soft-delete retention (issue 7): heartbeats, the orphan reaper
 * and garbage collection. The timers that call these on one replica are in tracking-lifecycle.jobs.ts;
 * the HTTP endpoints (ops, tests, `cairn gc`) in api/run-lifecycle.controller.ts.
 */
@Injectable()
export class RunLifecycle {
  constructor(
    @Inject(TrackingCommands) private readonly commands: TrackingCommands,
    @Inject(TrackingStore) private readonly store: TrackingStore,
    @Inject(TRACKING_CLOCK) private readonly clock: Clock,
    @Inject(TRACKING_LIFECYCLE_SETTINGS) private readonly settings: LifecycleSettings,
  ) {}

  /** Records a sign of life; the answer tells a client whose run was reaped (or finished elsewhere) to stop. */
  async heartbeat(runId: string): Promise<RunStatus> {
    const status = await this.store.recordHeartbeat(runId, this.clock.now());
    if (status === null) throw notFound(`Run with id=${runId} not found`);
    return status;
  }

  /** Closes RUNNING runs silent for the orphan timeout as KILLED; the ids reaped (or, dry, that would be). */
  async reapOrphans(options: { dryRun: boolean }, metadata: EventMetadata): Promise<string[]> {
    const timeoutMs = this.settings.orphanTimeoutMs;
    const candidates = await this.store.orphanCandidates(this.clock.now() - timeoutMs, REAP_BATCH);
    if (options.dryRun) return candidates;
    const reaped: string[] = [];
    for (const runId of candidates) if (await this.commands.reapRun(runId, timeoutMs, metadata)) reaped.push(runId);
    return reaped;
  }

  /**
   * One GC pass: deleted runs past retention are purged unless a model version references them, then
   * deleted experiments past retention with no run left. `olderThanDays` overrides the retention.
   */
  async collectGarbage(options: { dryRun: boolean; olderThanDays?: number }, metadata: EventMetadata): Promise<GcReport> {
    const cutoff = gcCutoff(this.clock.now(), this.settings.retentionDays, options.olderThanDays);
    const report: GcReport = { dryRun: options.dryRun, purgedRuns: [], purgedExperiments: [], skipped: [], skippedExperiments: [] };
    const runIds = await this.store.gcRunCandidates(cutoff, GC_RUN_BATCH);
    if (options.dryRun) {
      const references = await this.store.referencesTo(runIds);
      // Candidates are deleted at or before the cutoff; only references can hold them.
      for (const runId of runIds) record(report, runId, runGcVerdict({ lifecycleStage: 'deleted', deletedTime: cutoff }, references.get(runId) ?? [], cutoff));
    } else {
      for (const runId of runIds) {
        const verdict = await this.commands.purgeRun(runId, cutoff, metadata);
        if (verdict !== null) record(report, runId, verdict);
      }
    }

    for (const experimentId of await this.store.gcExperimentCandidates(cutoff, GC_EXPERIMENT_BATCH)) {
      const verdict = options.dryRun
        ? await this.experimentVerdictIfRunsWerePurged(experimentId, cutoff)
        : await this.commands.purgeExperiment(experimentId, cutoff, metadata);
      if (verdict?.kind === 'purge') report.purgedExperiments.push(experimentId);
      else if (verdict?.kind === 'skip') report.skippedExperiments.push({ experimentId, reason: verdict.reason });
    }
    return report;
  }

  private async experimentVerdictIfRunsWerePurged(experimentId: string, cutoff: number) {
    const runs = await this.store.runsLeftInExperiment(experimentId, DRY_RUN_RUNS_PER_EXPERIMENT);
    const references = await this.store.referencesTo(runs.map((r) => r.runId));
    const remainingRuns = runs.flatMap((r) => {
      const why = whyRunStays(r, references.get(r.runId) ?? [], cutoff);
      return why === null ? [] : [{ runId: r.runId, why }];
    });
    // Candidates are deleted at or before the cutoff.
    return experimentGcVerdict({ lifecycleStage: 'deleted', deletedTime: cutoff }, remainingRuns, cutoff);
  }
}

function record(report: GcReport, runId: string, verdict: RunGcVerdict): void {
  switch (verdict.kind) {
    case 'purge':
      report.purgedRuns.push(runId);
      return;
    case 'skip':
      report.skipped.push({ runId, reason: verdict.reason, modelVersions: verdict.modelVersions });
      return;
    case 'keep':
      return; // restored (or purged by another pass) since the candidates were read
    default:
      return assertNever(verdict);
  }
}
