import { AUTHENTICATED, requires, type AccessTable, type RouteAccess } from '@cairn/contracts';
import type { CairnRegistryController } from './cairn-registry.controller';
import { fromBody, fromQueryString, lineageIn, modelIn, runReferencesIn, runSummaryIn } from './locators';
import type { RegistryController } from './registry.controller';
import type { RunSummaryController } from './run-summary.controller';

/**
 * Who may call each registry route (MLflow's basic-auth semantics). Versions, aliases and stages
 * inherit their registered model's permission. `serving` marks the reads a serving token (READ on
 * named models' aliases only) needs to load a model: aliases, latest versions, a version and its
 * download URI.
 */
export const REGISTRY_ACCESS: AccessTable<RegistryController> = {
  createRegisteredModel: {
    kind: 'authenticated',
    creates: { type: 'registered_model', idOf: (r) => (r as { registered_model?: { name?: string } }).registered_model?.name },
  },
  getRegisteredModel: requires('READ', modelIn(fromQueryString)),
  // The identity context moves the model's grants to the new name after a rename.
  renameRegisteredModel: requires('EDIT', modelIn(fromBody)),
  updateRegisteredModel: requires('EDIT', modelIn(fromBody)),
  deleteRegisteredModel: requires('MANAGE', modelIn(fromBody)),
  searchRegisteredModels: AUTHENTICATED,
  getLatestVersionsPost: requires('READ', modelIn(fromBody), { serving: true }),
  getLatestVersionsGet: requires('READ', modelIn(fromQueryString), { serving: true }),
  setRegisteredModelTag: requires('EDIT', modelIn(fromBody)),
  deleteRegisteredModelTag: requires('EDIT', modelIn(fromBody)),

  setAlias: requires('EDIT', modelIn(fromBody)),
  deleteAlias: requires('EDIT', modelIn(fromBody)),
  getModelVersionByAlias: requires('READ', modelIn(fromQueryString), { serving: true }),

  createModelVersion: requires('EDIT', modelIn(fromBody)),
  getModelVersion: requires('READ', modelIn(fromQueryString), { serving: true }),
  updateModelVersion: requires('EDIT', modelIn(fromBody)),
  deleteModelVersion: requires('MANAGE', modelIn(fromBody)),
  searchModelVersions: AUTHENTICATED,
  transitionStage: requires('EDIT', modelIn(fromBody)),
  getDownloadUri: requires('READ', modelIn(fromQueryString), { serving: true }),
  setModelVersionTag: requires('EDIT', modelIn(fromBody)),
  deleteModelVersionTag: requires('EDIT', modelIn(fromBody)),
};

/** Cairn's registry API: promotion writes the model; history and as-of read it; lineage also shows its run. */
export const CAIRN_REGISTRY_ACCESS: AccessTable<CairnRegistryController> = {
  promote: requires('EDIT', modelIn(fromBody)),
  history: requires('READ', modelIn(fromQueryString)),
  asOf: requires('READ', modelIn(fromQueryString)),
  runReferences: requires('READ', runReferencesIn),
  lineage: requires('READ', lineageIn),
};

/** What the registry knows of a run (params, metrics, tags) is the run's experiment's to show. */
export const RUN_SUMMARY_ACCESS: AccessTable<RunSummaryController> = {
  get: requires('READ', runSummaryIn),
};

/**
 * `GET …/registered-models/alias/resolve` (alias-resolve.route.ts) is a plain Fastify route for
 * speed, not a controller: the identity context applies this entry to it. The handler reads `name`
 * as the first value of the query key.
 */
export const ALIAS_RESOLVE_ACCESS: RouteAccess = requires('READ', modelIn(fromQueryString), { serving: true });
