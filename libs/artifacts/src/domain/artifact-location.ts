import { isLoggedModelId, isRunId, loggedModelIdOfUri } from '@cairn/contracts';
import type { ArtifactOwnerKind } from '@cairn/contracts';
import { normaliseArtifactPath, UnsafeArtifactPathError } from '@cairn/blobstore';

/**
 * Where a checked path lives, in MLflow's proxied layout (mlflow-api.md §7, §15.21):
 *   runs:           `<experiment_id>/<run_id>/artifacts/<relative>`
 *   logged models:  `<experiment_id>/models/<model_id>/artifacts/<relative>` (3.x)
 * Anything else the proxy also accepts (traces, hand-made URIs) is owned by its directory.
 * The owner is the aggregate of the artifact's events and the unit of usage, retention and collection.
 */
export interface ArtifactLocation {
  path: string;
  ownerKind: ArtifactOwnerKind;
  ownerId: string;
  experimentId: string | null;
  /** Below the owner's artifact root (`''` for the root itself). */
  relativePath: string;
  /** The owner's artifact root, e.g. `1/<run_id>/artifacts`. */
  root: string;
}

const EXPERIMENT_ID = /^\d+$/;

export function locateArtifact(checkedPath: string): ArtifactLocation {
  const segments = checkedPath === '' ? [] : checkedPath.split('/');
  const [first, second, third, fourth] = segments;
  const experimentId = first !== undefined && EXPERIMENT_ID.test(first) ? first : null;
  if (experimentId !== null && second !== undefined && isRunId(second) && third === 'artifacts') {
    return {
      path: checkedPath,
      ownerKind: 'run',
      ownerId: second,
      experimentId,
      relativePath: segments.slice(3).join('/'),
      root: segments.slice(0, 3).join('/'),
    };
  }
  if (experimentId !== null && second === 'models' && third !== undefined && isLoggedModelId(third) && fourth === 'artifacts') {
    return {
      path: checkedPath,
      ownerKind: 'logged_model',
      ownerId: third,
      experimentId,
      relativePath: segments.slice(4).join('/'),
      root: segments.slice(0, 4).join('/'),
    };
  }
  // Anything else is owned by its directory: a stable aggregate that is never the file itself.
  const rootSegments = segments.slice(0, -1);
  return {
    path: checkedPath,
    ownerKind: 'other',
    ownerId: rootSegments.length > 0 ? rootSegments.join('/') : '/',
    experimentId,
    relativePath: segments.slice(-1).join('/'),
    root: rootSegments.join('/'),
  };
}

/** Checks a user path and locates it; an upload/download needs a file below an owner, not a bare root. */
export function locateUserPath(userPath: string): ArtifactLocation {
  const location = locateArtifact(normaliseArtifactPath(userPath));
  if (location.relativePath === '') throw new UnsafeArtifactPathError('path names an artifact root, not a file');
  return location;
}

/** Where a model version's files are, from its `source` (registry event), for `/model-versions/get-artifact`. */
export type SourceLocation = { kind: 'path'; root: string } | { kind: 'owner'; ownerId: string; prefix: string };

/**
 * Only sources the proxy itself serves are resolved: `mlflow-artifacts:/…`, `runs:/<run_id>/…` and
 * 3.x `models:/m-…`. Anything else (file://, s3://, http://) is refused rather than fetched: the
 * server never maps a user-supplied URI onto its filesystem or network (CVE-2023-1177 and kin).
 */
export function resolveSource(source: string): SourceLocation {
  const refuse = () => new UnsafeArtifactPathError('model version source is not served by the artifact proxy');
  let match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/.exec(source);
  if (match) return { kind: 'path', root: normaliseArtifactPath(match[1] ?? '', { allowRoot: true }) };
  match = /^runs:\/([0-9a-f]{32})(?:\/(.*))?$/.exec(source);
  if (match) return { kind: 'owner', ownerId: match[1] ?? '', prefix: normaliseArtifactPath(match[2] ?? '', { allowRoot: true }) };
  const loggedModelId = loggedModelIdOfUri(source);
  if (loggedModelId !== null) return { kind: 'owner', ownerId: loggedModelId, prefix: '' };
  throw refuse();
}

/** The checked root path of an artifact URI tracking hands out (`mlflow-artifacts:/1/<run>/artifacts`). */
export function artifactUriRoot(uri: string): string | undefined {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/.exec(uri);
  return match ? normaliseArtifactPath(match[1] ?? '', { allowRoot: true }) : undefined;
}
