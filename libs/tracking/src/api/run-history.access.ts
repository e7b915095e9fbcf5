import { queryInput, requires, type AccessTable } from '@cairn/contracts';
import { runIn } from './locators';
import type { RunHistoryController } from './run-history.controller';

/** A run's history is read like the run: READ on its experiment. */
export const RUN_HISTORY_ACCESS: AccessTable<RunHistoryController> = {
  runHistory: requires('READ', runIn(queryInput())),
};
