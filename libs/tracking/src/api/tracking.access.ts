import { AUTHENTICATED, requires, type AccessTable } from '@cairn/contracts';
import { experimentIn, experimentNamed, experimentsIn, fromBody, fromQueryString, loggedModelIn, newRunExperiment, runIn, runsIn } from './locators';
import * as s from './schemas';
import type { TrackingController } from './tracking.controller';

/**
 * Who may call each tracking route (MLflow's basic-auth semantics: READ reads, EDIT writes, MANAGE
 * deletes). Runs, metrics and logged models inherit their experiment's permission. Searches over
 * named experiments need READ on every one of them; an open search is filtered by what the caller
 * may read.
 */
export const TRACKING_ACCESS: AccessTable<TrackingController> = {
  createExperiment: { kind: 'authenticated', creates: { type: 'experiment', idOf: (r) => (r as { experiment_id?: string }).experiment_id } },
  getExperiment: requires('READ', experimentIn(fromQueryString())),
  getExperimentByName: requires('READ', experimentNamed(fromQueryString())),
  searchExperimentsPost: AUTHENTICATED,
  searchExperimentsGet: AUTHENTICATED,
  updateExperiment: requires('EDIT', experimentIn(fromBody)),
  deleteExperiment: requires('MANAGE', experimentIn(fromBody)),
  restoreExperiment: requires('MANAGE', experimentIn(fromBody)),
  setExperimentTag: requires('EDIT', experimentIn(fromBody)),
  deleteExperimentTag: requires('EDIT', experimentIn(fromBody)),
  searchDatasets: requires('READ', experimentsIn(s.searchDatasets.pick({ experiment_ids: true }), fromBody)),

  createRun: requires('EDIT', newRunExperiment),
  updateRun: requires('EDIT', runIn(fromBody)),
  deleteRun: requires('MANAGE', runIn(fromBody)),
  restoreRun: requires('MANAGE', runIn(fromBody)),
  getRun: requires('READ', runIn(fromQueryString())),
  searchRunsPost: requires('READ', experimentsIn(s.searchRuns.pick({ experiment_ids: true }), fromBody)),
  searchRunsGet: requires('READ', experimentsIn(s.searchRuns.pick({ experiment_ids: true }), fromQueryString('experiment_ids'))),
  logMetric: requires('EDIT', runIn(fromBody)),
  logParam: requires('EDIT', runIn(fromBody)),
  setTag: requires('EDIT', runIn(fromBody)),
  deleteTag: requires('EDIT', runIn(fromBody)),
  logBatch: requires('EDIT', runIn(fromBody)),
  logModel: requires('EDIT', runIn(fromBody)),
  logInputs: requires('EDIT', runIn(fromBody)),
  logOutputs: requires('EDIT', runIn(fromBody)),

  getMetricHistory: requires('READ', runIn(fromQueryString())),
  getMetricHistoryBulkInterval: requires('READ', runsIn(fromQueryString('run_ids'))),

  createLoggedModel: requires('EDIT', experimentIn(fromBody)),
  searchLoggedModels: requires('READ', experimentsIn(s.searchLoggedModels.pick({ experiment_ids: true }), fromBody)),
  getLoggedModel: requires('READ', loggedModelIn),
  finalizeLoggedModel: requires('EDIT', loggedModelIn),
  deleteLoggedModel: requires('MANAGE', loggedModelIn),
  setLoggedModelTags: requires('EDIT', loggedModelIn),
  deleteLoggedModelTag: requires('EDIT', loggedModelIn),
  logLoggedModelParams: requires('EDIT', loggedModelIn),
};
