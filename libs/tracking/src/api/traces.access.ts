import { AUTHENTICATED, bodyInput, requires, type AccessTable } from '@cairn/contracts';
import { experimentIn, experimentsIn } from './locators';
import * as s from './trace-schemas';
import { newTraceExperiment, traceIn, traceInfosIn, traceLocationsIn, traceOfRequestId, tracesIn } from './trace-locators';
import type { OtlpTracesController, TracesController } from './traces.controller';

/**
 * Who may call each trace route: a trace is read and written under its experiment's permission
 * (READ reads, EDIT writes, MANAGE deletes traces, as MLflow's basic-auth rules for DeleteTraces).
 * A search, and a trace metrics query, needs READ on every experiment it names.
 */
export const TRACES_ACCESS: AccessTable<TracesController> = {
  startTrace: requires('EDIT', newTraceExperiment),
  getTraceInfo: requires('READ', traceIn),
  batchGetTraces: requires('READ', tracesIn),
  batchGetTraceInfos: requires('READ', traceInfosIn),
  searchTraces: requires('READ', traceLocationsIn),
  queryTraceMetrics: requires('READ', experimentsIn(s.queryTraceMetrics.pick({ experiment_ids: true }), bodyInput)),
  setTraceTag: requires('EDIT', traceIn),
  deleteTraceTag: requires('EDIT', traceIn),
  deleteTraces: requires('MANAGE', experimentIn(bodyInput)),
  createAssessment: requires('EDIT', traceIn),
  getAssessment: requires('READ', traceIn),
  updateAssessment: requires('EDIT', traceIn),
  deleteAssessment: requires('EDIT', traceIn),
  getTraceArtifact: requires('READ', traceOfRequestId),
};

/** Refused for everyone (501); signed-in callers only, like every other write. */
export const OTLP_TRACES_ACCESS: AccessTable<OtlpTracesController> = {
  exportSpans: AUTHENTICATED,
};
