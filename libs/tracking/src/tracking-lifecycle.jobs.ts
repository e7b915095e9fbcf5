import type { EventMetadata } from '@cairn/contracts';
import type { EventStore } from '@cairn/eventing';
import type { CairnConfig, Database, JsonLogger } from '@cairn/platform';
import { lifecycleSettingsOf, systemClock } from './application/ports';
import { RunLifecycle } from './application/run-lifecycle';
import { TrackingCommands } from './application/tracking-commands';
import { EventStoreTrackingLog } from './infra/event-log';
import { SingleReplicaSchedule } from './infra/single-replica-schedule';
import { TrackingStore } from './infra/tracking-store';

const REAPER_LOCK_KEY = 1;
const GC_LOCK_KEY = 2;

const REAPER: EventMetadata = { actor: 'cairn-orphan-reaper', correlationId: null, causationId: null };
const GC: EventMetadata = { actor: 'cairn-gc', correlationId: null, causationId: null };

/**
 * The tracking context's background jobs, for a composition root's `background(runtime)`: the orphan
 * reaper every `config.lifecycle.reaperIntervalS` and garbage collection every `gcIntervalS`, each on
 * one replica only. Returns the stopper.
 */
export async function startTrackingLifecycleJobs(runtime: { config: CairnConfig; database: Database; eventStore: EventStore; logger: JsonLogger }): Promise<() => Promise<void>> {
  const { config, database, logger } = runtime;
  const store = new TrackingStore(database);
  const commands = new TrackingCommands(database, store, new EventStoreTrackingLog(runtime.eventStore), systemClock);
  const lifecycle = new RunLifecycle(commands, store, systemClock, lifecycleSettingsOf(config));
  const every = (name: string, lockKey: number, intervalS: number, task: () => Promise<void>) =>
    new SingleReplicaSchedule({
      database,
      name,
      lockKey,
      intervalMs: intervalS * 1000,
      task,
      onError: (error) => logger.error(`${name} failed: ${(error as Error).message}`, (error as Error).stack, 'tracking'),
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
