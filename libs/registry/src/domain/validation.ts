import { invalidParameter, MODEL_STAGES, type ModelStage } from '@cairn/contracts';

/** mlflow/utils/validation.py limits for the registry (3.18: MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH 100_000). */
export const REGISTRY_LIMITS = { tagKey: 250, tagValue: 100_000, alias: 255, name: 500 } as const;

/** `get_canonical_stage`: case-insensitive in, canonical out. */
export function canonicalStage(stage: string): ModelStage {
  const found = MODEL_STAGES.find((s) => s.toLowerCase() === stage.trim().toLowerCase());
  if (!found) throw invalidParameter(`Invalid Model Version stage: ${stage}. Value must be one of ${MODEL_STAGES.join(', ')}.`);
  return found;
}

/** Versions are strings on the wire but must be integers (`_validate_model_version`). */
export function validateVersion(version: string): string {
  if (!/^\s*\d+\s*$/.test(version)) throw invalidParameter(`Parameter 'version' must be an integer, got '${version}'.`);
  return String(Number(version.trim()));
}

/**
 * MLflow 3.18 `_validate_model_name`: `/` and `:` would make `models:/<name>/<version>` ambiguous,
 * so they are refused with MLflow's message (which also covers its `path_not_unique` check: a name
 * without `/` always normalises to itself, except `.` and `..`).
 */
export function validateModelName(name: string): string {
  if (name.trim() === '') throw invalidParameter('Registered model name cannot be empty.');
  if (name.includes('/') || name.includes(':')) throw invalidParameter(`Invalid model name '${name}'. Names cannot contain '/' or ':'.`);
  if (name === '.' || name.startsWith('..')) {
    throw invalidParameter(
      `Invalid value ${JSON.stringify(name)} for parameter 'name' supplied: Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${name}'`,
    );
  }
  if (name.length > REGISTRY_LIMITS.name) throw invalidParameter(`Registered model name exceeds the maximum length of ${REGISTRY_LIMITS.name} characters.`);
  return name;
}

export function validateTag(key: string, value: string | undefined): void {
  if (key === '') throw invalidParameter("Missing value for required parameter 'key'.");
  if (key.length > REGISTRY_LIMITS.tagKey)
    throw invalidParameter(`Tag key '${key.slice(0, 50)}…' exceeds the maximum length of ${REGISTRY_LIMITS.tagKey} characters.`);
  // Same key rules as run tags (`_validate_tag_name`): no path tricks.
  if (key.startsWith('/') || key.split('/').some((part) => part === '..' || part === '.')) throw invalidParameter(`Invalid tag name: '${key}'.`);
  if (value !== undefined && value.length > REGISTRY_LIMITS.tagValue)
    throw invalidParameter(`'value' exceeds the maximum length of ${REGISTRY_LIMITS.tagValue} characters.`);
}

/** `_validate_model_alias_name`: word characters and dashes; `latest` and `v<digits>` are reserved. */
export function validateAlias(alias: string): string {
  if (alias === '') throw invalidParameter('Registered model alias name cannot be empty.');
  if (!/^[\w-]*$/.test(alias)) throw invalidParameter(`Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`);
  if (alias.length > REGISTRY_LIMITS.alias)
    throw invalidParameter(`Registered model alias name exceeds the maximum length of ${REGISTRY_LIMITS.alias} characters.`);
  if (alias.toLowerCase() === 'latest') throw invalidParameter("'latest' alias name (case insensitive) is reserved.");
  if (/^[vV]\d+$/.test(alias)) throw invalidParameter(`Version alias name '${alias}' is reserved.`);
  return alias;
}

/** Where a model version's files may live: the schemes the client hands out, or this server's artifact root. */
export interface AllowedArtifactRoot {
  /** e.g. `file:///var/cairn/artifacts` or `s3://bucket/prefix` */
  uri: string;
}

const SCHEMES = ['runs:/', 'models:/', 'mlflow-artifacts:/'];

function fullyDecoded(text: string): string {
  let current = text;
  for (let i = 0; i < 10; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      throw invalidParameter(`Invalid model version source: '${text}' is not a valid URI.`);
    }
    if (next === current) return current;
    current = next;
  }
  throw invalidParameter(`Invalid model version source: '${text}' is encoded too many times.`);
}

/**
 * A version's `source` is later handed to every client that loads the model, so only references
 * the registry can vouch for are accepted (MLflow's CVEs came from accepting any local path or URL):
 * `runs:/`, `models:/`, `mlflow-artifacts:/`, or a location under a configured artifact root; after
 * full percent-decoding, no `..` segment, NUL or backslash.
 */
export function validateSource(source: string, roots: readonly AllowedArtifactRoot[]): string {
  const decoded = fullyDecoded(source);
  const refuse = (why: string) => invalidParameter(`Invalid model version source: '${source}'. ${why}`);
  if (decoded.includes('\u0000') || decoded.includes('\\')) throw refuse('It contains a forbidden character.');
  const scheme = SCHEMES.find((s) => decoded.startsWith(s));
  const root = roots.find((r) => decoded === r.uri || decoded.startsWith(`${r.uri.replace(/\/+$/, '')}/`));
  if (!scheme && !root) {
    throw refuse(`Sources must be runs:/, models:/ or mlflow-artifacts:/ URIs, or lie under the server's artifact root.`);
  }
  const path = decoded.slice((scheme ?? root?.uri ?? '').length);
  if (path.split('/').some((segment) => segment === '..' || segment === '.')) throw refuse("Path segments '.' and '..' are not allowed.");
  if (scheme === 'models:/' && path === '') throw refuse('A models:/ URI must name a model.');
  return source;
}

/** `models:/m-<id>` → the logged model id (3.x `log_model(registered_model_name=…)`). */
export function loggedModelIdOfSource(source: string): string | null {
  const match = /^models:\/(m-[0-9a-f]{32})\/?$/.exec(source);
  return match?.[1] ?? null;
}

/** `runs:/<run id>/<path>` → run id and path. */
export function runReferenceOfSource(source: string): { runId: string; path: string } | null {
  const match = /^runs:\/([0-9a-zA-Z][\w-]{0,255})(?:\/(.*))?$/.exec(source);
  return match?.[1] ? { runId: match[1], path: match[2] ?? '' } : null;
}
