import { normaliseArtifactPath } from '@cairn/blobstore';
import {
  distinctRefs,
  EVERY_RESOURCE,
  experimentRef,
  type AccessLookup,
  type AccessRequest,
  type Locator,
  type ResourceRef,
  isLoggedModelId,
  isRunId,
} from '@cairn/contracts';
import { locateArtifact, resolveSource, type ArtifactLocation } from '../domain/artifact-location';
import { listQuery, loggedModelFileQuery, modelVersionArtifactQuery, runArtifactQuery, runListQuery, usageQuery } from './dto';
import { rawPathAfter } from './request-metadata';

/**
 * Where artifact requests name their experiment (access tables, artifacts.access.ts). Paths are
 * read as the handlers read them — from the raw URL, checked by the same path module — so the
 * check and the handler see one path; a path the handler refuses names nothing (it answers 400 to
 * everyone). Only the artifacts context's own tables are read.
 */

/** Model versions made from one run's or logged model's artifacts (`$1`: its id), with their source. */
const VERSIONS_FROM_OWNER = `SELECT DISTINCT name, source FROM artifacts.model_version_refs WHERE run_id = $1 OR logged_model_id = $1`;

/** The experiments a run's artifacts are filed under (what `listRun` and usage read; one, unless paths were made by hand). */
const EXPERIMENTS_OF_OWNER = `SELECT DISTINCT experiment_id FROM artifacts.files WHERE owner_id = $1 AND experiment_id IS NOT NULL`;

/** The experiment of the one file `/get-artifact` serves (the rows `SELECT_OWNER_FILE` reads). */
const EXPERIMENTS_OF_OWNER_FILE = `SELECT DISTINCT experiment_id FROM artifacts.files WHERE owner_id = $1 AND relative_path = $2 AND experiment_id IS NOT NULL`;

/**
 * The path after `marker` in the raw URL (`rawPathAfter`, as the proxy's handlers), or the router's
 * wildcard parameter when the guard did not hand the URL over. `marker` may be found in the URL the
 * way the handler finds it (the multipart routes).
 */
export function requestedPath(request: AccessRequest, marker: string | ((url: string) => string)): string {
  if (request.url === undefined) return request.params['*'] ?? '';
  return rawPathAfter(request.url, typeof marker === 'string' ? marker : marker(request.url));
}

/** The checked path (the root is `''`), or undefined when the path module refuses it. */
export function checkedPath(userPath: string): string | undefined {
  try {
    return normaliseArtifactPath(userPath, { allowRoot: true });
  } catch {
    return undefined;
  }
}

/**
 * The experiment of a checked path: its first segment (`<experiment_id>/<run_id>/artifacts/…`,
 * `<experiment_id>/models/<model_id>/artifacts/…`). A path outside any experiment is checked as the
 * experiment it names (the default permission decides); the root, which lists every experiment, as
 * every experiment (`*`).
 */
export function experimentOfPath(path: string): ResourceRef {
  const first = path.split('/')[0] ?? '';
  return first === '' ? { type: 'experiment', id: EVERY_RESOURCE } : experimentRef(first);
}

/** Whether a checked path lies in (or is) the directory of a model version's `source`. */
export function insideSource(location: ArtifactLocation, source: string): boolean {
  let where: ReturnType<typeof resolveSource>;
  try {
    where = resolveSource(source);
  } catch {
    return false;
  }
  if (where.kind === 'path') return under(location.path, where.root);
  return location.ownerKind !== 'other' && location.ownerId === where.ownerId && under(location.relativePath, where.prefix);
}

const under = (path: string, directory: string) => directory === '' || path === directory || path.startsWith(`${directory}/`);

/** The proxy's writes (upload, delete, multipart): the experiment of the path. */
export const proxyPathExperiment =
  (marker: string | ((url: string) => string)): Locator =>
  (request) => {
    const path = checkedPath(requestedPath(request, marker));
    return path === undefined ? [] : [experimentOfPath(path)];
  };

/**
 * The proxy's reads (download, presigned, listing a directory): the path's experiment, or any
 * registered model with a version made from the files there (a serving pod reading its model's
 * files needs READ on the model only). Used with `anyOf`.
 */
const pathReaders = async (path: string, lookup: AccessLookup): Promise<ResourceRef[]> => {
  const location = locateArtifact(path);
  const refs: ResourceRef[] = [experimentOfPath(path)];
  if (location.ownerKind !== 'other') {
    const versions = await lookup.query<{ name: string; source: string }>(VERSIONS_FROM_OWNER, [location.ownerId]);
    for (const v of versions) if (insideSource(location, v.source)) refs.push({ type: 'registered_model', id: v.name });
  }
  return distinctRefs(refs);
};

export const proxyPathReaders =
  (marker: string | ((url: string) => string)): Locator =>
  async (request, lookup) => {
    const path = checkedPath(requestedPath(request, marker));
    return path === undefined ? [] : pathReaders(path, lookup);
  };

/** `GET …/mlflow-artifacts/artifacts?path=`: the directory listed (none: the root). */
export const proxyListingReaders: Locator = async (request, lookup) => {
  const parsed = listQuery.safeParse(request.query ?? {});
  const path = parsed.success ? checkedPath(parsed.data.path ?? '') : undefined;
  return path === undefined ? [] : pathReaders(path, lookup);
};

async function experimentsOfRun(lookup: AccessLookup, runId: string): Promise<ResourceRef[]> {
  if (!isRunId(runId)) return [];
  const rows = await lookup.query<{ experiment_id: string }>(EXPERIMENTS_OF_OWNER, [runId]);
  return distinctRefs(rows.map((r) => experimentRef(r.experiment_id)));
}

/** `artifacts/list?run_id=` (tracking's and Cairn's): every experiment the run's files are under. */
export const runListing: Locator = (request, lookup) => {
  const parsed = runListQuery.safeParse(request.query ?? {});
  return parsed.success ? experimentsOfRun(lookup, parsed.data.run_id) : [];
};

/** The UI's `/get-artifact?run_uuid=|run_id=&path=`: the experiment of the very file it serves. */
export const runArtifactFile: Locator = async (request, lookup) => {
  const parsed = runArtifactQuery.safeParse(request.query ?? {});
  if (!parsed.success) return [];
  const runId = parsed.data.run_id ?? parsed.data.run_uuid ?? '';
  const relative = checkedPath(parsed.data.path);
  if (!isRunId(runId) || relative === undefined || relative === '') return [];
  const rows = await lookup.query<{ experiment_id: string }>(EXPERIMENTS_OF_OWNER_FILE, [runId, relative]);
  return distinctRefs(rows.map((r) => experimentRef(r.experiment_id)));
};

/** `logged-models/{id}/artifacts/directories`: every experiment the model's files are under. */
export const loggedModelListing: Locator = async (request, lookup) => {
  const modelId = request.params['modelId'] ?? '';
  if (!isLoggedModelId(modelId)) return [];
  const rows = await lookup.query<{ experiment_id: string }>(EXPERIMENTS_OF_OWNER, [modelId]);
  return distinctRefs(rows.map((r) => experimentRef(r.experiment_id)));
};

/** `logged-models/{id}/artifacts/files?artifact_file_path=`: the experiment of the very file it serves. */
export const loggedModelArtifactFile: Locator = async (request, lookup) => {
  const modelId = request.params['modelId'] ?? '';
  const parsed = loggedModelFileQuery.safeParse(request.query ?? {});
  const relative = parsed.success ? checkedPath(parsed.data.artifact_file_path ?? '') : undefined;
  if (!isLoggedModelId(modelId) || relative === undefined || relative === '') return [];
  const rows = await lookup.query<{ experiment_id: string }>(EXPERIMENTS_OF_OWNER_FILE, [modelId, relative]);
  return distinctRefs(rows.map((r) => experimentRef(r.experiment_id)));
};

/** The UI's `/model-versions/get-artifact?name=&version=&path=`: the registered model. */
export const modelVersionArtifact: Locator = (request) => {
  const parsed = modelVersionArtifactQuery.safeParse(request.query ?? {});
  return parsed.success ? [{ type: 'registered_model', id: parsed.data.name }] : [];
};

/** `usage?run_id=` or `usage?experiment_id=` (exactly one, else the handler refuses). */
export const usageScope: Locator = (request, lookup) => {
  const parsed = usageQuery.safeParse(request.query ?? {});
  if (!parsed.success) return [];
  const { run_id: runId, experiment_id: experimentId } = parsed.data;
  if ((runId === undefined) === (experimentId === undefined)) return [];
  return runId !== undefined ? experimentsOfRun(lookup, runId) : [experimentRef(experimentId ?? '')];
};
