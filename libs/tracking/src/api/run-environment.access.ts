import { queryInput, requires, type AccessTable } from '@cairn/contracts';
import { runPairIn } from './locators';
import type { RunEnvironmentController } from './run-environment.controller';

/** Comparing two runs reads both: READ on each run's experiment. */
export const RUN_ENVIRONMENT_ACCESS: AccessTable<RunEnvironmentController> = {
  environmentDiff: requires('READ', runPairIn(queryInput())),
};
