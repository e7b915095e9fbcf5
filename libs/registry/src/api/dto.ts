import { z } from 'zod';
import { invalidParameter } from '@cairn/contracts';

/**
 * Request parsing with MLflow's handler semantics: unknown fields ignored; a required field absent
 * or "" is "Missing value for required parameter 'x'"; int64 as number or decimal string; booleans
 * also as the `True`/`False` strings of GET query strings; any wrong JSON type → 400.
 */
const noNul = (s: string) => !s.includes('\u0000');
const text = z.string().refine(noNul, 'Strings must not contain NUL characters.');
const required = z.preprocess((v) => (v === '' || v === null ? undefined : v), text);
const optional = z.preprocess((v) => (v === null ? undefined : v), text.optional());
const versionString = z.preprocess((v) => (typeof v === 'number' && Number.isInteger(v) ? String(v) : v === '' || v === null ? undefined : v), text);
const int64 = z.preprocess((v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v), z.number().int().nonnegative());
const bool = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const lower = v.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : v;
}, z.boolean());
const stringList = z.preprocess((v) => (v === undefined || v === null ? [] : typeof v === 'string' ? [v] : v), z.array(text));
const tags = z.preprocess(
  (v) => (v === null || v === undefined ? [] : v),
  z.array(z.object({ key: required, value: z.preprocess((v) => (v === null ? undefined : v), text.optional()) })),
);

export const schemas = {
  createRegisteredModel: z.object({ name: required, tags, description: optional }),
  name: z.object({ name: required }),
  renameRegisteredModel: z.object({ name: required, new_name: required }),
  updateRegisteredModel: z.object({ name: required, description: optional }),
  searchRegisteredModels: z.object({ filter: optional, max_results: int64.optional(), order_by: stringList, page_token: optional }),
  getLatestVersions: z.object({ name: required, stages: stringList }),
  setRegisteredModelTag: z.object({ name: required, key: required, value: z.preprocess((v) => (v === null ? undefined : v), text.optional()) }),
  deleteRegisteredModelTag: z.object({ name: required, key: required }),
  setAlias: z.object({ name: required, alias: required, version: versionString }),
  alias: z.object({ name: required, alias: required }),
  createModelVersion: z.object({
    name: required,
    source: required,
    run_id: optional,
    tags,
    run_link: optional,
    description: optional,
    model_id: optional,
  }),
  version: z.object({ name: required, version: versionString }),
  updateModelVersion: z.object({ name: required, version: versionString, description: optional }),
  searchModelVersions: z.object({ filter: optional, max_results: int64.optional(), order_by: stringList, page_token: optional }),
  transitionStage: z.object({ name: required, version: versionString, stage: required, archive_existing_versions: bool.optional() }),
  setModelVersionTag: z.object({ name: required, version: versionString, key: required, value: text }),
  deleteModelVersionTag: z.object({ name: required, version: versionString, key: required }),
  history: z.object({ name: required }),
  runReferences: z.object({ run_id: required }),
  asOf: z.object({ name: required, as_of: required, alias: optional, stage: optional }),
  promote: z.object({
    name: required,
    challenger: versionString,
    // a version number or an alias
    metric: required,
    min_delta: z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().finite()).optional(),
    direction: z.enum(['higher_is_better', 'lower_is_better']).optional(),
    stage: optional,
    alias: optional,
    archive_existing_versions: bool.optional(),
  }),
} as const;

/** Parses a body or query into the schema's type, or throws MLflow's 400 for the first problem. */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const data = input && typeof input === 'object' && !Array.isArray(input) ? input : {};
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join('.') ?? '';
  const value = field.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), data);
  if (value === undefined || value === '' || value === null) {
    throw invalidParameter(`Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`);
  }
  throw invalidParameter(`Invalid value ${JSON.stringify(value)} for parameter '${field}' supplied: ${issue?.message ?? 'invalid'}`);
}

/** `30s`, `500ms`, `2m` or a bare number of seconds → milliseconds, capped. */
export function parseWait(wait: string, capMs: number): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(wait.trim());
  if (!match) throw invalidParameter(`Invalid value '${wait}' for parameter 'wait': use e.g. 30s, 500ms or 2m.`);
  const n = Number(match[1]);
  const ms = match[2] === 'ms' ? n : match[2] === 'm' ? n * 60_000 : n * 1000;
  return Math.min(ms, capMs);
}

/** `as_of` as epoch milliseconds or an ISO-8601 date-time. */
export function parseInstant(value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw invalidParameter(`Invalid value '${value}' for parameter 'as_of': use epoch milliseconds or an ISO-8601 date-time.`);
  return parsed;
}
