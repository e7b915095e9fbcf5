import type { EventMetadata } from '@cairn/contracts';
import { SingleReplicaLoop, systemClock, type EventStore } from '@cairn/eventing';
import type { CairnConfig, Database, JsonLogger } from '@cairn/platform';
import { lifecycleSettingsOf } from './application/ports';
import { RunLifecycle } from './application/run-lifecycle';
import { TrackingCommands } from './application/tracking-commands';
import { MetricChunkCompaction } from './infra/metric-compaction';
import { TrackingStore } from './infra/tracking-store';

// Advisory lock namespace of tracking's periodic jobs (the outbox relays use another); one key per job.
const LIFECYCLE_LOCK_NAMESPACE = 0x0ca1_11fe;
const REAPER_LOCK_KEY = 1;
const GC_LOCK_KEY = 2;
const COMPACTION_LOCK_KEY = 3;
/** Pause between compaction passes once the small chunks are all visited (a full batch goes on at once). */
const COMPACTION_INTERVAL_MS = 10_000;

const REAPER: EventMetadata = { actor: 'cairn-orphan-reaper', correlationId: null, causationId: null };
const GC: EventMetadata = { actor: 'cairn-gc', correlationId: null, causationId: null };

/**
 * The tracking context's background jobs, for a composition root's `background(runtime)`: the orphan
 * reaper every `config.lifecycle.reaperIntervalS`, garbage collection every `gcIntervalS` and the
 * compaction of small metric chunks (ADR 0016), each on one replica only. Returns the stopper.
 */
export async function startTrackingLifecycleJobs(runtime: {
  config: CairnConfig;
  database: Database;
  eventStore: EventStore;
  logger: JsonLogger;
}): Promise<() => Promise<void>> {
  const { config, database, logger } = runtime;
  const store = new TrackingStore(database);
  const commands = new TrackingCommands(database, store, runtime.eventStore, systemClock);
  const lifecycle = new RunLifecycle(commands, store, systemClock, lifecycleSettingsOf(config));
  const onError = (name: string) => (error: unknown) => logger.error(`${name} failed: ${(error as Error).message}`, (error as Error).stack, 'tracking');
  // Each job leads on one replica; a failed pass is logged and the leader keeps the lock (the next
  // pass retries), unlike the relay, where a failed round drops the session. The pass itself uses
  // pooled transactions and is safe to run twice (an HTTP-triggered pass may overlap a timed one).
  const every = (name: string, lockKey: number, intervalS: number, task: () => Promise<void>) =>
    new SingleReplicaLoop({
      database,
      name,
      lock: { namespace: LIFECYCLE_LOCK_NAMESPACE, key: lockKey },
      standbyIntervalMs: intervalS * 1000,
      // The rounds never touch the lock's connection: check it still holds before each.
      confirmBeforeRound: true,
      round: async () => {
        await task().catch(onError(name));
        return intervalS * 1000;
      },
      onError: onError(name),
    });

  const reaper = every('orphan reaper', REAPER_LOCK_KEY, config.lifecycle.reaperIntervalS, async () => {
    const reaped = await lifecycle.reapOrphans({ dryRun: false }, REAPER);
    if (reaped.length > 0) logger.log(`orphan reaper closed ${reaped.length} run(s) as KILLED: ${reaped.join(', ')}`, 'tracking');
  });
  const gc = every('garbage collection', GC_LOCK_KEY, config.lifecycle.gcIntervalS, async () => {
    const report = await lifecycle.collectGarbage({ dryRun: false }, GC);
    if (report.purgedRuns.length + report.purgedExperiments.length + report.skipped.length > 0) {
      logger.log(
        `garbage collection purged ${report.purgedRuns.length} run(s) and ${report.purgedExperiments.length} experiment(s); kept ${report.skipped.length} referenced run(s)`,
        'tracking',
      );
    }
  });
  const compaction = new MetricChunkCompaction(database);
  const compactor = new SingleReplicaLoop({
    database,
    name: 'metric chunk compaction',
    lock: { namespace: LIFECYCLE_LOCK_NAMESPACE, key: COMPACTION_LOCK_KEY },
    standbyIntervalMs: COMPACTION_INTERVAL_MS,
    confirmBeforeRound: true,
    round: async () => {
      try {
        return (await compaction.pass()).more ? 0 : COMPACTION_INTERVAL_MS;
      } catch (error) {
        onError('metric chunk compaction')(error);
        return COMPACTION_INTERVAL_MS;
      }
    },
    onError: onError('metric chunk compaction'),
  });
  reaper.start();
  gc.start();
  compactor.start();
  return async () => {
    await Promise.all([reaper.stop(), gc.stop(), compactor.stop()]);
  };
}
