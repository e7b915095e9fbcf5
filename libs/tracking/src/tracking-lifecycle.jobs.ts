import type { EventMetadata } from '@cairn/contracts';
import { SingleReplicaLoop, systemClock, type EventStore } from '@cairn/eventing';
import type { CairnConfig, Database, JsonLogger } from '@cairn/platform';
import { lifecycleSettingsOf } from './application/ports';
import { RunLifecycle } from './application/run-lifecycle';
import { TrackingCommands } from './application/tracking-commands';
import { TrackingStore } from './infra/tracking-store';

// Advisory lock namespace of tracking's periodic jobs (the outbox relays use another); one key per job.
const LIFECYCLE_LOCK_NAMESPACE = 0x0ca1_11fe;
const REAPER_LOCK_KEY = 1;
const GC_LOCK_KEY = 2;

const REAPER: EventMetadata = { actor: 'cairn-orphan-reaper', correlationId: null, causationId: null };
const GC: EventMetadata = { actor: 'cairn-gc', correlationId: null, causationId: null };

/**
 * The tracking context's background jobs, for a composition root's `background(runtime)`: the orphan
 * reaper every `config.lifecycle.reaperIntervalS` and garbage collection every `gcIntervalS`, each on
 * one replica only. Returns the stopper.
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
  reaper.start();
  gc.start();
  return async () => {
    await Promise.all([reaper.stop(), gc.stop()]);
  };
}
