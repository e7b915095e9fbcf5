import { ADMIN_ONLY, bodyInput, requires, type AccessTable } from '@cairn/contracts';
import { runIn } from './locators';
import type { RunLifecycleController } from './run-lifecycle.controller';

/** A heartbeat writes to its run (EDIT on the run's experiment); the reaper and GC act server-wide. */
export const RUN_LIFECYCLE_ACCESS: AccessTable<RunLifecycleController> = {
  heartbeat: requires('EDIT', runIn(bodyInput)),
  reapOrphans: ADMIN_ONLY,
  gc: ADMIN_ONLY,
};
