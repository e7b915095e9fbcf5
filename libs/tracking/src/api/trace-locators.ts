import { distinctRefs, experimentRef, objectBody, queryInput, type Locator } from '@cairn/contracts';
import { BoundedCache } from '@cairn/platform';
import { isTraceId } from '../domain/trace';
import { parsedBy } from './locators';
import * as s from './trace-schemas';

/**
 * Where trace requests name their experiment (traces.access.ts): a trace is read and written under
 * its experiment's permission. A trace never moves to another experiment, so its experiment is
 * remembered (bounded); unknown ids locate nothing and the handler answers 404.
 */

const EXPERIMENTS_OF_TRACES = `SELECT trace_id AS id, experiment_id::text AS experiment_id FROM tracking.traces WHERE trace_id = ANY($1::text[])`;

const experimentOfTrace = new BoundedCache<string>(100_000);

async function experimentsOfTraces(lookup: Parameters<Locator>[1], traceIds: readonly string[]) {
  const experiments = new Set<string>();
  const missing: string[] = [];
  for (const traceId of new Set(traceIds.filter(isTraceId))) {
    const known = experimentOfTrace.get(traceId);
    if (known === undefined) missing.push(traceId);
    else experiments.add(known);
  }
  if (missing.length > 0) {
    for (const row of await lookup.query<{ id: string; experiment_id: string }>(EXPERIMENTS_OF_TRACES, [missing])) {
      experimentOfTrace.set(row.id, row.experiment_id);
      experiments.add(row.experiment_id);
    }
  }
  return distinctRefs([...experiments].map(experimentRef));
}

/** The trace of the `:traceId` path parameter. */
export const traceIn: Locator = (request, lookup) => {
  const traceId = request.params['traceId'];
  return traceId === undefined ? [] : experimentsOfTraces(lookup, [traceId]);
};

/** traces/batchGet: every trace of `trace_ids` (query). */
export const tracesIn: Locator = (request, lookup) =>
  experimentsOfTraces(lookup, parsedBy(s.batchGetTraces, queryInput('trace_ids')(request))?.trace_ids ?? []);

/** StartTraceV3: the experiment of `trace.trace_info.trace_location`. */
export const newTraceExperiment: Locator = (request) => {
  const id = parsedBy(s.startTraceV3Experiment, objectBody(request.body))?.trace.trace_info.trace_location.mlflow_experiment.experiment_id;
  return id === undefined ? [] : [experimentRef(id)];
};

/** SearchTracesV3: every experiment of `locations`; the caller must read them all. */
export const traceLocationsIn: Locator = (request) =>
  distinctRefs(
    (parsedBy(s.searchTracesV3.pick({ locations: true }), objectBody(request.body))?.locations ?? []).map((l) =>
      experimentRef(l.mlflow_experiment.experiment_id),
    ),
  );

/** get-trace-artifact: the trace of `request_id` (query). */
export const traceOfRequestId: Locator = (request, lookup) => {
  const traceId = parsedBy(s.getTraceArtifact, queryInput()(request))?.request_id;
  return traceId === undefined ? [] : experimentsOfTraces(lookup, [traceId]);
};

/** traces/batchGetInfos: every trace of `trace_ids` (body). */
export const traceInfosIn: Locator = (request, lookup) =>
  experimentsOfTraces(lookup, parsedBy(s.batchGetTraceInfos, objectBody(request.body))?.trace_ids ?? []);
