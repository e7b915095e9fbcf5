import { invalidParameter } from '@cairn/contracts';
import { LIMITS } from './limits';

// MLflow 3.x's key regex `^[/\w.\- :]*$`; Python's \w is Unicode-aware, hence \p{L}\p{N}\p{M}.
const KEY_PATTERN = /^[/\p{L}\p{N}\p{M}_.\- :]*$/u;

const show = (value: string) => JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}...` : value);

/**
 * True when `posixpath.normpath(key) != key` or the key escapes upwards — MLflow's `path_not_unique`:
 * keys become file names in some stores, so `../x`, `a//b`, `/x`, `x/` and `./x` are refused.
 */
export function isPathLike(key: string): boolean {
  if (key === '.' || key.startsWith('..') || key.startsWith('/')) return true;
  return key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..');
}

/** Metric, param and run-tag keys (MLflow `_validate_metric_name`/`_validate_param_name`/`_validate_tag_name`). */
export function validateEntityKey(key: string, field = 'key'): void {
  if (!KEY_PATTERN.test(key)) {
    throw invalidParameter(
      `Invalid value ${show(key)} for parameter '${field}' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`,
    );
  }
  if (isPathLike(key)) {
    throw invalidParameter(
      `Invalid value ${show(key)} for parameter '${field}' supplied: Names cannot refer to a parent directory or be an absolute path (e.g. '../x', '/x', 'a//b').`,
    );
  }
  validateLength(key, LIMITS.entityKeyLength, field);
}

export function validateLength(value: string, max: number, field: string): void {
  if (value.length > max) throw invalidParameter(`'${field}' exceeds the maximum length of ${max} characters`);
}

/**
 * MLflow 3.x's server stores a param value over 6000 characters, or a run tag value over 8000, cut
 * to the limit and answers 200 (`_validate_param` / `_validate_tag` call `_validate_length_limit`
 * with `truncate=True`, on unless the server sets MLFLOW_TRUNCATE_LONG_VALUES=false); 2.x refused
 * them. Python's `value[:limit]` counts code points, so a surrogate pair is never split. The run
 * decider applies this to every write of run params and tags (create, log-parameter, set-tag,
 * log-batch), so the rule lives here only.
 */
export function truncatedToLimit(value: string, limit: number): string {
  if (value.length <= limit) return value;
  const codePoints = Array.from(value);
  return codePoints.length <= limit ? value : codePoints.slice(0, limit).join('');
}

export const truncatedParamValue = (value: string): string => truncatedToLimit(value, LIMITS.paramValueLength);
export const truncatedTagValue = (value: string): string => truncatedToLimit(value, LIMITS.tagValueLength);

/** Logged-model params (MLflow 3 keeps refusing those over the limit). */
export function validateParamValue(value: string, field = 'value'): void {
  validateLength(value, LIMITS.paramValueLength, field);
}

/** Logged-model tags (MLflow 3 keeps refusing those over the limit). */
export function validateTagValue(value: string, field = 'value'): void {
  validateLength(value, LIMITS.tagValueLength, field);
}

export function validateExperimentName(name: string): void {
  if (name.trim() === '') throw invalidParameter("Invalid experiment name: ''. Experiment name must be a non-empty string.");
  validateLength(name, LIMITS.experimentNameLength, 'name');
}

export function validateExperimentTag(key: string, value: string): void {
  validateEntityKey(key);
  validateLength(key, LIMITS.experimentTagKeyLength, 'key');
  validateLength(value, LIMITS.experimentTagValueLength, 'value');
}

const LOGGED_MODEL_NAME_BAD_CHARACTERS = ['/', ':', '.', '%', '"', "'"] as const;

/**
 * MLflow 3.18 `_validate_logged_model_name`: a logged model's name becomes part of `models:/` URIs
 * and paths, so `/ : . % " '` are refused (an empty name is replaced by a generated one before).
 */
export function validateLoggedModelName(name: string): void {
  if (name === '' || LOGGED_MODEL_NAME_BAD_CHARACTERS.some((c) => name.includes(c))) {
    const listed = `(${LOGGED_MODEL_NAME_BAD_CHARACTERS.map(pythonRepr).join(', ')})`;
    throw invalidParameter(
      `Invalid model name (${pythonRepr(name)}) provided. Model name must be a non-empty string and cannot contain the following characters: ${listed}`,
    );
  }
}

/** Python's `repr` of a str, for MLflow's messages: single quotes unless the text holds one and no double quote. */
function pythonRepr(text: string): string {
  if (text.includes("'") && !text.includes('"')) return `"${text.replace(/\\/g, '\\\\')}"`;
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Metric timestamps are nonnegative int64 milliseconds; steps any int64 (MLflow `_validate_metric`). */
export function validateMetricPoint(point: { key: string; timestamp: number }, path: string): void {
  validateEntityKey(point.key, `${path}key`);
  if (point.timestamp < 0) {
    throw invalidParameter(`Got invalid timestamp ${point.timestamp} for metric '${point.key}'. Timestamp must be a nonnegative long (64-bit integer).`);
  }
}

/**
 * Until the artifact context widens it to configured roots, an experiment may only store artifacts
 * under the proxied `mlflow-artifacts:/` scheme: any other location (file:///etc, cloud metadata
 * URLs) would make the client read or write wherever a user pointed it.
 */
export function validateArtifactLocation(location: string): string {
  validateLength(location, LIMITS.artifactLocationLength, 'artifact_location');
  let decoded = location;
  try {
    for (let i = 0; i < 3 && /%[0-9a-f]{2}/i.test(decoded); i++) decoded = decodeURIComponent(decoded);
  } catch {
    throw invalidParameter(`Invalid artifact_location ${show(location)}: not a valid URI.`);
  }
  const match = /^mlflow-artifacts:(\/[^?#]*)?$/.exec(decoded);
  const path = match?.[1] ?? '';
  if (!match || path.split('/').some((segment) => segment === '..' || segment === '.') || decoded.includes('\\')) {
    throw invalidParameter(`Invalid artifact_location ${show(location)}: only locations under 'mlflow-artifacts:/' are accepted by this server.`);
  }
  return decoded.replace(/\/+$/, '') || 'mlflow-artifacts:';
}

export interface BatchInput {
  metrics: { key: string; timestamp: number }[];
  params: { key: string; value: string }[];
  tags: { key: string; value: string }[];
}

/** MLflow `_validate_batch_log_limits` then `_validate_batch_log_data`: a refused batch writes nothing. */
export function validateLogBatch(batch: BatchInput): void {
  const { metrics, params, tags } = batch;
  if (metrics.length > LIMITS.metricsPerBatch) {
    throw invalidParameter(`A batch logging request can contain at most ${LIMITS.metricsPerBatch} metrics. Got ${metrics.length} metrics.`);
  }
  if (params.length > LIMITS.paramsPerBatch) {
    throw invalidParameter(`A batch logging request can contain at most ${LIMITS.paramsPerBatch} params. Got ${params.length} params.`);
  }
  if (tags.length > LIMITS.tagsPerBatch) {
    throw invalidParameter(`A batch logging request can contain at most ${LIMITS.tagsPerBatch} tags. Got ${tags.length} tags.`);
  }
  const total = metrics.length + params.length + tags.length;
  if (total > LIMITS.entitiesPerBatch) {
    throw invalidParameter(`A batch logging request can contain at most ${LIMITS.entitiesPerBatch} metrics, params, and tags in total. Got ${total} entities.`);
  }
  metrics.forEach((m, i) => validateMetricPoint(m, `metrics[${i}].`));
  // Values over the limits are cut by the run decider (truncatedParamValue), not refused.
  params.forEach((p, i) => validateEntityKey(p.key, `params[${i}].key`));
  tags.forEach((t, i) => validateEntityKey(t.key, `tags[${i}].key`));
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const p of params) (seen.has(p.key) ? duplicates : seen).add(p.key);
  if (duplicates.size > 0) {
    throw invalidParameter(
      `Duplicate parameter keys have been submitted: [${[...duplicates].map((k) => `'${k}'`).join(', ')}]. Please ensure the request contains only one param value per param key.`,
    );
  }
}

/**
 * MLflow's checks on `get-history-bulk-interval` (REST and GraphQL alike): at least one and at most
 * `bulkIntervalMaxRuns` runs, `max_results` within bounds, both steps or neither. Returns the
 * `max_results` to use.
 */
export function validateBulkInterval(request: {
  runIds: readonly string[];
  startStep?: number | undefined;
  endStep?: number | undefined;
  maxResults?: number | undefined;
}): number {
  if (request.runIds.length === 0) throw invalidParameter('GetMetricHistoryBulkInterval request must specify at least one run_id.');
  if (request.runIds.length > LIMITS.bulkIntervalMaxRuns) {
    throw invalidParameter(
      `GetMetricHistoryBulkInterval request cannot specify more than ${LIMITS.bulkIntervalMaxRuns} run_ids. Received ${request.runIds.length} run_ids.`,
    );
  }
  const maxResults = request.maxResults ?? LIMITS.bulkIntervalMaxResults;
  if (maxResults < 1 || maxResults > LIMITS.bulkIntervalMaxResults)
    throw invalidParameter(`max_results must be between 1 and ${LIMITS.bulkIntervalMaxResults}.`);
  if ((request.startStep === undefined) !== (request.endStep === undefined))
    throw invalidParameter('If either start step or end step are specified, both must be specified.');
  if (request.startStep !== undefined && request.endStep !== undefined && request.startStep > request.endStep)
    throw invalidParameter('end_step must be greater than start_step. ');
  return maxResults;
}
