import {
  distinctRefs,
  experimentRef,
  fromQuery,
  mayReferenceRunSql,
  modelVersionReferencesRun,
  runsReferencedByModelVersion,
  objectBody,
  type RequestInput,
  type Locator,
  type ResourceRef,
} from '@cairn/contracts';
import { loggedModelIdOfSource } from '../domain/validation';
import { schemas as s } from './dto';

const VERSION = /^\s*\d+\s*$/;
const MAX_VERSION = 2 ** 31 - 1;

/**
 * Where the registry's requests name their registered model (access tables beside the controllers).
 * The model's name is read by the handlers' own `name` field schema from the same place they read
 * it (a JSON body for writes, the query string for GETs), so the check and the handler see one name;
 * a request the handler refuses names nothing. Only registry's own tables are read.
 */

/** `name`: every registry handler reads it with the same `required` text schema. */
export const modelIn =
  (input: RequestInput): Locator =>
  (request) => {
    const parsed = s.name.safeParse(input(request));
    return parsed.success ? [{ type: 'registered_model', id: parsed.data.name }] : [];
  };

/** The experiment of a logged model, from the registry's projection of tracking's logged models. */
const EXPERIMENT_OF_LOGGED_MODEL = `SELECT experiment_id FROM registry.logged_models WHERE model_id = $1`;

/**
 * model-versions/create: EDIT on the model, and READ on the experiment of every run and logged
 * model the new version would point at — otherwise anyone could register someone else's run under
 * a model of their own and read its files through the model. A run the registry has not heard of
 * yet (created in the last moments, its event still on the way) is not checked: its id is a random
 * 128-bit value nobody else knows yet.
 */
export const newVersionIn: Locator = async (request, lookup) => {
  const parsed = s.createModelVersion.safeParse(objectBody(request.body));
  if (!parsed.success) return [];
  const { name, source, run_id: runId, model_id: modelId } = parsed.data;
  const refs: ResourceRef[] = [{ type: 'registered_model', id: name }];
  for (const run of runsReferencedByModelVersion({ runId: runId ?? null, source })) {
    for (const row of await lookup.query<{ experiment_id: string }>(EXPERIMENT_OF_RUN, [run])) refs.push({ ...experimentRef(row.experiment_id), need: 'READ' });
  }
  for (const loggedModel of [modelId, loggedModelIdOfSource(source)]) {
    if (loggedModel === undefined || loggedModel === null) continue;
    for (const row of await lookup.query<{ experiment_id: string }>(EXPERIMENT_OF_LOGGED_MODEL, [loggedModel]))
      refs.push({ ...experimentRef(row.experiment_id), need: 'READ' });
  }
  return distinctRefs(refs);
};

/** The experiment of a run, from the registry's projection of tracking's runs. */
const EXPERIMENT_OF_RUN = `SELECT experiment_id FROM registry.run_summaries WHERE run_id = $1`;

/**
 * The models whose live versions may reference a run (the same first cut as the run-references
 * query; `modelVersionReferencesRun` then decides, with the logged model's source run).
 */
const MODELS_REFERENCING_RUN = `
SELECT mv.name, mv.run_id, mv.source,
       (SELECT lm.source_run_id FROM registry.logged_models lm WHERE lm.model_id = mv.logged_model_id) AS logged_model_run
FROM registry.model_versions mv
WHERE ${mayReferenceRunSql('mv', '$1')}
   OR mv.logged_model_id IN (SELECT model_id FROM registry.logged_models WHERE source_run_id = $1)`;

/** run-summaries/get reads `run_id` from the query as given (a repeated key is an array: refused). */
export const runSummaryIn: Locator = async (request, lookup) => {
  const runId = request.query['run_id'];
  if (typeof runId !== 'string' || runId === '') return [];
  const rows = await lookup.query<{ experiment_id: string }>(EXPERIMENT_OF_RUN, [runId]);
  return rows.map((r) => experimentRef(r.experiment_id));
};

/**
 * registry/run-references lists the model versions referencing a run: the caller must read the
 * run's experiment (when the registry knows the run) and every model listed, so the answer never
 * names a model the caller may not see.
 */
export const runReferencesIn: Locator = async (request, lookup) => {
  const parsed = s.runReferences.safeParse(fromQuery(request.query));
  if (!parsed.success) return [];
  const runId = parsed.data.run_id;
  const [experiments, versions] = await Promise.all([
    lookup.query<{ experiment_id: string }>(EXPERIMENT_OF_RUN, [runId]),
    lookup.query<{ name: string; run_id: string | null; source: string; logged_model_run: string | null }>(MODELS_REFERENCING_RUN, [runId]),
  ]);
  const models: ResourceRef[] = versions
    .filter((v) => modelVersionReferencesRun({ runId: v.run_id, source: v.source }, runId, v.logged_model_run))
    .map((v) => ({ type: 'registered_model', id: v.name }));
  return distinctRefs([...experiments.map((r) => experimentRef(r.experiment_id)), ...models]);
};

/** What a version names of its run: its run id, its source, its logged model's source run. */
const VERSION_RUN_LINKS = `
SELECT mv.run_id, mv.source,
       (SELECT lm.source_run_id FROM registry.logged_models lm WHERE lm.model_id = mv.logged_model_id) AS logged_model_run
FROM registry.model_versions mv WHERE mv.name = $1 AND mv.version = $2`;

/**
 * model-versions/lineage answers with the version's run (params, metrics, tags, datasets): the
 * caller must read the model, and the run's experiment when the registry knows the run (the same
 * run `runOfVersion` picks), or lineage would show an experiment's data to a model-only reader.
 */
export const lineageIn: Locator = async (request, lookup) => {
  const parsed = s.version.safeParse(fromQuery(request.query));
  if (!parsed.success) return [];
  const model: ResourceRef = { type: 'registered_model', id: parsed.data.name };
  const version = VERSION.test(parsed.data.version) ? Number(parsed.data.version.trim()) : Number.NaN;
  // Versions are Postgres integers: a number outside them is no version at all.
  if (!(version <= MAX_VERSION)) return [model];
  const [links] = await lookup.query<{ run_id: string | null; source: string; logged_model_run: string | null }>(VERSION_RUN_LINKS, [
    parsed.data.name,
    version,
  ]);
  const runId = links && runsReferencedByModelVersion({ runId: links.run_id, source: links.source }, links.logged_model_run)[0];
  if (runId === undefined) return [model];
  const experiments = await lookup.query<{ experiment_id: string }>(EXPERIMENT_OF_RUN, [runId]);
  return [model, ...experiments.map((r) => experimentRef(r.experiment_id))];
};
