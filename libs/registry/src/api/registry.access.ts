import { AUTHENTICATED, bodyInput, queryInput, requires, type AccessRequest, type AccessTable, type RouteAccess } from '@cairn/contracts';
import type { CairnRegistryController } from './cairn-registry.controller';
import { lineageIn, modelIn, newVersionIn, runReferencesIn, runSummaryIn } from './locators';
import type { RegistryController } from './registry.controller';
import type { RunSummaryController } from './run-summary.controller';

/** A string field of a JSON body, as the rename and delete handlers read `name` and `new_name`. */
function bodyString(request: AccessRequest, field: string): string | undefined {
  const value = request.body !== null && typeof request.body === 'object' ? (request.body as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Who may call each registry route (MLflow's basic-auth semantics). Versions, aliases and stages
 * inherit their registered model's permission. The reads a model load makes are plain Fastify
 * routes (MODEL_READS_ACCESS below).
 */
export const REGISTRY_ACCESS: AccessTable<RegistryController> = {
  createRegisteredModel: {
    kind: 'authenticated',
    creates: { type: 'registered_model', idOf: (r) => (r as { registered_model?: { name?: string } }).registered_model?.name },
  },
  // The model's grants follow a rename, and go with a deletion (its name may be taken again).
  renameRegisteredModel: requires('EDIT', modelIn(bodyInput), {
    effect: { kind: 'rename', type: 'registered_model', from: (r) => bodyString(r, 'name'), to: (r) => bodyString(r, 'new_name') },
  }),
  updateRegisteredModel: requires('EDIT', modelIn(bodyInput)),
  deleteRegisteredModel: requires('MANAGE', modelIn(bodyInput), { effect: { kind: 'delete', type: 'registered_model', id: (r) => bodyString(r, 'name') } }),
  searchRegisteredModels: AUTHENTICATED,
  setRegisteredModelTag: requires('EDIT', modelIn(bodyInput)),
  deleteRegisteredModelTag: requires('EDIT', modelIn(bodyInput)),

  setAlias: requires('EDIT', modelIn(bodyInput)),
  deleteAlias: requires('EDIT', modelIn(bodyInput)),

  createModelVersion: requires('EDIT', newVersionIn),
  updateModelVersion: requires('EDIT', modelIn(bodyInput)),
  deleteModelVersion: requires('MANAGE', modelIn(bodyInput)),
  searchModelVersions: AUTHENTICATED,
  transitionStage: requires('EDIT', modelIn(bodyInput)),
  setModelVersionTag: requires('EDIT', modelIn(bodyInput)),
  deleteModelVersionTag: requires('EDIT', modelIn(bodyInput)),
};

/** Cairn's registry API: promotion writes the model; history and as-of read it; lineage also shows its run. */
export const CAIRN_REGISTRY_ACCESS: AccessTable<CairnRegistryController> = {
  promote: requires('EDIT', modelIn(bodyInput)),
  history: requires('READ', modelIn(queryInput())),
  asOf: requires('READ', modelIn(queryInput())),
  runReferences: requires('READ', runReferencesIn),
  lineage: requires('READ', lineageIn),
};

/** What the registry knows of a run (params, metrics, tags) is the run's experiment's to show. */
export const RUN_SUMMARY_ACCESS: AccessTable<RunSummaryController> = {
  get: requires('READ', runSummaryIn),
};

/**
 * The reads a model load makes (model-reads.route.ts: plain Fastify routes answered from the read
 * cache; the identity context applies these entries to them). `serving` marks what a serving token
 * (READ on named models' aliases only) needs to load a model: the model, aliases, latest versions,
 * a version and its download URI.
 */
export const MODEL_READS_ACCESS = {
  // Serving too: the mlflow client reads the model (`_raise_if_prompt`) before a version's download
  // URI, so `mlflow.pyfunc.load_model("models:/name@champion")` needs it.
  getRegisteredModel: requires('READ', modelIn(queryInput()), { serving: true }),
  getLatestVersionsPost: requires('READ', modelIn(bodyInput), { serving: true }),
  getLatestVersionsGet: requires('READ', modelIn(queryInput()), { serving: true }),
  getModelVersionByAlias: requires('READ', modelIn(queryInput()), { serving: true }),
  getModelVersion: requires('READ', modelIn(queryInput()), { serving: true }),
  getDownloadUri: requires('READ', modelIn(queryInput()), { serving: true }),
} satisfies Record<string, RouteAccess>;

/**
 * `GET …/registered-models/alias/resolve` (alias-resolve.route.ts) is a plain Fastify route for
 * speed, not a controller: the identity context applies this entry to it. The handler reads `name`
 * as the first value of the query key.
 */
export const ALIAS_RESOLVE_ACCESS: RouteAccess = requires('READ', modelIn(queryInput()), { serving: true });
