import { invalidParameter, MODEL_STAGES, type ModelStage, loggedModelIdOfUri } from '@cairn/contracts';

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

/** MLflow's `_PROMPT_SOURCE_PLACEHOLDERS`: what its client (`dummy-source`) and store send as a prompt version's source. */
const PROMPT_SOURCE_PLACEHOLDERS: readonly string[] = ['dummy-source', 'prompt-template'];

/** MLflow `_is_prompt_request`: the request's last `mlflow.prompt.is_prompt` tag, case-insensitively `true`. */
export function isPromptVersionRequest(tags: ReadonlyArray<{ key: string; value?: string | undefined }>): boolean {
  const last = tags.filter((t) => t.key === 'mlflow.prompt.is_prompt').at(-1);
  return (last?.value ?? 'false').toLowerCase() === 'true';
}

/**
 * A version's source, as MLflow 3.18's `create_model_version` checks it: a prompt version has no
 * files, so its source must be one of MLflow's placeholders (`_validate_prompt_source`), never a
 * location; any other version's goes through validateSource.
 */
export function validateVersionSource(
  source: string,
  tags: ReadonlyArray<{ key: string; value?: string | undefined }>,
  roots: readonly AllowedArtifactRoot[],
): string {
  if (!isPromptVersionRequest(tags)) return validateSource(source, roots);
  if (!PROMPT_SOURCE_PLACEHOLDERS.includes(source)) {
    throw invalidParameter(`Invalid prompt source: '${source}'. Prompt sources must use an MLflow placeholder.`);
  }
  return source;
}

/** `models:/m-<id>` → the logged model id (3.x `log_model(registered_model_name=…)`). */
export function loggedModelIdOfSource(source: string): string | null {
  return loggedModelIdOfUri(source);
}

/** `runs:/<run id>/<path>` → run id and path. */
export function runReferenceOfSource(source: string): { runId: string; path: string } | null {
  const match = /^runs:\/([0-9a-zA-Z][\w-]{0,255})(?:\/(.*))?$/.exec(source);
  return match?.[1] ? { runId: match[1], path: match[2] ?? '' } : null;
}
