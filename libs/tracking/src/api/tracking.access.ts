import { AUTHENTICATED, bodyInput, queryInput, requires, type AccessTable } from '@cairn/contracts';
import { experimentIn, experimentNamed, experimentsIn, loggedModelIn, newRunExperiment, runIn, runsIn } from './locators';
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
  getExperiment: requires('READ', experimentIn(queryInput())),
  getExperimentByName: requires('READ', experimentNamed(queryInput())),
  searchExperimentsPost: AUTHENTICATED,
  searchExperimentsGet: AUTHENTICATED,
  updateExperiment: requires('EDIT', experimentIn(bodyInput)),
  deleteExperiment: requires('MANAGE', experimentIn(bodyInput)),
  restoreExperiment: requires('MANAGE', experimentIn(bodyInput)),
  setExperimentTag: requires('EDIT', experimentIn(bodyInput)),
  deleteExperimentTag: requires('EDIT', experimentIn(bodyInput)),
  searchDatasets: requires('READ', experimentsIn(s.searchDatasets.pick({ experiment_ids: true }), bodyInput)),

  createRun: requires('EDIT', newRunExperiment),
  updateRun: requires('EDIT', runIn(bodyInput)),
  deleteRun: requires('MANAGE', runIn(bodyInput)),
  restoreRun: requires('MANAGE', runIn(bodyInput)),
  getRun: requires('READ', runIn(queryInput())),
  searchRunsPost: requires('READ', experimentsIn(s.searchRuns.pick({ experiment_ids: true }), bodyInput)),
  searchRunsGet: requires('READ', experimentsIn(s.searchRuns.pick({ experiment_ids: true }), queryInput('experiment_ids'))),
  logMetric: requires('EDIT', runIn(bodyInput)),
  logParam: requires('EDIT', runIn(bodyInput)),
  setTag: requires('EDIT', runIn(bodyInput)),
  deleteTag: requires('EDIT', runIn(bodyInput)),
  logBatch: requires('EDIT', runIn(bodyInput)),
  logModel: requires('EDIT', runIn(bodyInput)),
  logInputs: requires('EDIT', runIn(bodyInput)),
  logOutputs: requires('EDIT', runIn(bodyInput)),

  getMetricHistory: requires('READ', runIn(queryInput())),
  getMetricHistoryBulkInterval: requires('READ', runsIn(queryInput('run_ids'))),

  createLoggedModel: requires('EDIT', experimentIn(bodyInput)),
  searchLoggedModels: requires('READ', experimentsIn(s.searchLoggedModels.pick({ experiment_ids: true }), bodyInput)),
  getLoggedModel: requires('READ', loggedModelIn),
  listLoggedModelArtifacts: requires('READ', loggedModelIn),
  getLoggedModelArtifact: requires('READ', loggedModelIn),
  finalizeLoggedModel: requires('EDIT', loggedModelIn),
  deleteLoggedModel: requires('MANAGE', loggedModelIn),
  setLoggedModelTags: requires('EDIT', loggedModelIn),
  deleteLoggedModelTag: requires('EDIT', loggedModelIn),
  logLoggedModelParams: requires('EDIT', loggedModelIn),
};
