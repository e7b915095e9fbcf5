import {
  distinctRefs,
  experimentRef,
  objectBody,
  withRunId,
  type AccessLookup,
  type Locator,
  type RequestInput,
  type ResourceRef,
  isLoggedModelId,
} from '@cairn/contracts';
import type { z } from 'zod';
import { BoundedCache } from '@cairn/platform';
import { LIMITS } from '../domain/limits';
import * as s from './schemas';

/**
 * Where tracking's requests name their experiment (access tables, tracking.access.ts). Every
 * locator parses the request with the handler's own schema, from the same place (a POST's JSON
 * body, a GET's query string with the same list fields), so it sees exactly the values the handler
 * acts on: a caller cannot name one run to the check and another to the handler. A request the
 * handler refuses, or one naming an unknown run, locates nothing (the handler answers 400/404 alike
 * for every caller). Only tracking's own tables are read.
 */

/** The experiment of each run (`$1`: run ids). */
const EXPERIMENTS_OF_RUNS = `SELECT run_uuid AS id, experiment_id::text AS experiment_id FROM tracking.runs WHERE run_uuid = ANY($1::text[])`;

/** The experiment of each logged model (`$1`: model ids). */
const EXPERIMENTS_OF_LOGGED_MODELS = `
SELECT model_id AS id, experiment_id::text AS experiment_id FROM tracking.logged_models WHERE model_id = ANY($1::text[])`;

/** The experiment holding a name now (`$1`); renames move names, so this is never cached. */
const EXPERIMENT_NAMED = `SELECT experiment_id::text AS experiment_id FROM tracking.experiments WHERE name = $1`;

/**
 * Runs and logged models never change experiment, so their experiment is remembered: log-batch, the
 * hot path, pays no query for the check after a run's first request. Bounded; unknown ids are not
 * remembered (they may be created a moment later).
 */
const CACHE_ENTRIES = 100_000;
const experimentOfRun = new BoundedCache<string>(CACHE_ENTRIES);
const experimentOfLoggedModel = new BoundedCache<string>(CACHE_ENTRIES);

/** The input as the handler's schema reads it, or undefined where the handler answers 400. */
export function parsedBy<T extends z.ZodType>(schema: T, input: Record<string, unknown>): z.output<T> | undefined {
  const result = schema.safeParse(input);
  return result.success ? result.data : undefined;
}

/** `experiment_id`, as experiments/get, update, delete, restore and the tag routes read it (`required(id)` in each schema). */
export const experimentIn =
  (input: RequestInput): Locator =>
  (request) => {
    const id = parsedBy(s.experimentId, input(request))?.experiment_id;
    return id === undefined ? [] : [experimentRef(id)];
  };

/** `experiment_name` (experiments/get-by-name): the experiment holding that name. */
export const experimentNamed =
  (input: RequestInput): Locator =>
  async (request, lookup) => {
    const name = parsedBy(s.experimentByName, input(request))?.experiment_name;
    if (name === undefined) return [];
    const rows = await lookup.query<{ experiment_id: string }>(EXPERIMENT_NAMED, [name]);
    return rows.map((r) => experimentRef(r.experiment_id));
  };

/**
 * Every one of `experiment_ids` (searches over several experiments): the caller must read them all.
 * `schema` is the handler's schema narrowed to that field, so other fields cannot change the answer.
 */
export const experimentsIn =
  (schema: z.ZodType<{ experiment_ids: string[] }>, input: RequestInput): Locator =>
  (request) =>
    distinctRefs((parsedBy(schema, input(request))?.experiment_ids ?? []).map(experimentRef));

/** runs/create: `experiment_id`, or the Default experiment `0` when absent or "" (as the handler does). */
export const newRunExperiment: Locator = (request) => {
  const dto = parsedBy(s.createRun.pick({ experiment_id: true }), objectBody(request.body));
  return dto === undefined ? [] : [experimentRef(dto.experiment_id || '0')];
};

/** `run_id`, or the deprecated `run_uuid` when `run_id` is absent or "" (withRunId, as every run handler). */
export const runIn =
  (input: RequestInput): Locator =>
  async (request, lookup) => {
    const runId = parsedBy(s.runId, withRunId(input(request)))?.run_id;
    return runId === undefined ? [] : experimentsOf(lookup, [runId], experimentOfRun, EXPERIMENTS_OF_RUNS);
  };

/** metrics/get-history-bulk-interval: every run of `run_ids` (a request over the handler's limit names nothing: it is refused). */
export const runsIn =
  (input: RequestInput): Locator =>
  async (request, lookup) => {
    const runIds = parsedBy(BULK_RUN_IDS, input(request))?.run_ids ?? [];
    if (runIds.length > LIMITS.bulkIntervalMaxRuns) return [];
    return experimentsOf(lookup, runIds, experimentOfRun, EXPERIMENTS_OF_RUNS);
  };

/** runs/environment-diff: both `run_a` and `run_b` (an unknown one locates nothing; the handler answers 404). */
export const runPairIn =
  (input: RequestInput): Locator =>
  async (request, lookup) => {
    const dto = parsedBy(s.environmentDiff, input(request));
    return dto === undefined ? [] : experimentsOf(lookup, [dto.run_a, dto.run_b], experimentOfRun, EXPERIMENTS_OF_RUNS);
  };

/** The logged model of the `:modelId` path parameter; a malformed id is a 404 in the handler. */
export const loggedModelIn: Locator = async (request, lookup) => {
  const modelId = request.params['modelId'];
  if (modelId === undefined || !isLoggedModelId(modelId)) return [];
  return experimentsOf(lookup, [modelId], experimentOfLoggedModel, EXPERIMENTS_OF_LOGGED_MODELS);
};

const BULK_RUN_IDS = s.metricHistoryBulkInterval.pick({ run_ids: true });

async function experimentsOf(lookup: AccessLookup, ids: readonly string[], cache: BoundedCache<string>, sql: string): Promise<ResourceRef[]> {
  const known = new Map<string, string>();
  const missing: string[] = [];
  for (const id of new Set(ids)) {
    const experimentId = cache.get(id);
    if (experimentId === undefined) missing.push(id);
    else known.set(id, experimentId);
  }
  if (missing.length > 0) {
    for (const row of await lookup.query<{ id: string; experiment_id: string }>(sql, [missing])) {
      cache.set(row.id, row.experiment_id);
      known.set(row.id, row.experiment_id);
    }
  }
  return distinctRefs([...known.values()].map(experimentRef));
}
