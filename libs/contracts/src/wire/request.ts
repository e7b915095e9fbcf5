import { z } from 'zod';
import { invalidParameter } from '../errors/error-codes';
import type { LoggedModelStatus, RunStatus } from '../events/tracking';
import type { ViewType } from './common';

/**
 * Request parsing with MLflow's server semantics (handlers.py `_get_request_message`), the field
 * parsers MLflow routes' zod schemas are built from: unknown fields ignored, int64 accepted as
 * numbers or decimal strings, doubles also as "NaN"/"Infinity"/"-Infinity", required fields missing
 * when absent or "", any wrong JSON type → 400 INVALID_PARAMETER_VALUE. Strings with NUL bytes are
 * refused here: Postgres text cannot hold them.
 */

const MISSING = Symbol('missing');

export const str = z.string().refine((s) => !s.includes('\u0000'), 'Strings must not contain NUL characters.');

/** A required string: absent or "" is "Missing value for required parameter". */
export const required = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' || v === null ? undefined : v), schema);

export const int64 = z.preprocess(
  (v) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
  z.number().int().refine(Number.isSafeInteger, 'Value must be a 64-bit integer within ±2^53.'),
);

const SPECIAL_DOUBLES: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

/** A double as protobuf JSON carries it. JSON booleans count as 1/0, as MLflow 3's server takes them. */
export const double = z.preprocess(
  (v) => {
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'string') {
      if (v in SPECIAL_DOUBLES) return SPECIAL_DOUBLES[v];
      if (v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    }
    return v;
  },
  z.custom<number>((v) => typeof v === 'number', 'Value must be a number (or "NaN", "Infinity", "-Infinity").'),
);

/** JSON bools, and the `true`/`false` strings of GET query strings (Python clients send `True`). */
export const bool = z.preprocess(
  (v) => {
    if (typeof v === 'string') {
      const lower = v.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      return MISSING;
    }
    return v;
  },
  z.boolean({ error: (issue) => (issue.input === MISSING ? "Invalid boolean value, must be 'true' or 'false'." : undefined) }),
);

/** A protobuf enum: its name, or its number. */
export function protoEnum<const N extends string>(names: Partial<Record<number, N>>) {
  const values = Object.values(names) as N[];
  return z.preprocess(
    (v) => {
      if (typeof v === 'number') return names[v] ?? v;
      if (typeof v === 'string' && /^\d+$/.test(v)) return names[Number(v)] ?? v;
      return v;
    },
    z.enum(values as [N, ...N[]]),
  );
}

export const runStatus = protoEnum<RunStatus>({ 1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED' });
export const viewType = protoEnum<ViewType>({ 1: 'ACTIVE_ONLY', 2: 'DELETED_ONLY', 3: 'ALL' });
export const loggedModelStatus = protoEnum<LoggedModelStatus>({
  0: 'LOGGED_MODEL_STATUS_UNSPECIFIED',
  1: 'LOGGED_MODEL_PENDING',
  2: 'LOGGED_MODEL_READY',
  3: 'LOGGED_MODEL_UPLOAD_FAILED',
});

/** Experiment ids are decimal strings on the wire; numeric JSON is accepted too (MLflow: 400 otherwise). */
export const id = z.preprocess(
  (v) => (typeof v === 'number' && Number.isInteger(v) ? String(v) : v),
  z.string().regex(/^\d{1,18}$/, 'Experiment ID must be a valid integer.'),
);

export const keyValue = z.object({ key: required(str), value: str.optional().default('') });
export const keyValues = z.array(keyValue).optional().default([]);

/** A JSON body as an object ({} for anything else: the schema then names what is missing). */
export const objectBody = (b: unknown): Record<string, unknown> => (b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : {});

/** `run_id`, or the deprecated `run_uuid` when only that one is sent. */
export function withRunId<T extends Record<string, unknown>>(input: T): T & { run_id?: unknown } {
  if ((input.run_id === undefined || input.run_id === '') && input.run_uuid !== undefined) return { ...input, run_id: input.run_uuid };
  return input;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc === '' ? String(part) : `${acc}.${String(part)}`), '');
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}

/** Parses a request body or query into `T`, or throws MLflow's 400 naming the offending field. */
export function parseRequest<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const source = input === null || input === undefined ? {} : input;
  if (typeof source !== 'object' || Array.isArray(source)) throw invalidParameter('Request body must be a JSON object.');
  const result = schema.safeParse(source, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw invalidParameter('Invalid request.');
  const path = formatPath(issue.path);
  const input_ = (issue as { input?: unknown }).input;
  if (input_ === undefined) {
    throw invalidParameter(`Missing value for required parameter '${path}'. See the API docs for more information about request parameters.`);
  }
  throw invalidParameter(`Invalid value ${show(input_)} for parameter '${path}' supplied: ${issue.message}`);
}

/**
 * GET query strings: repeated keys arrive as arrays. Scalars take the first value (Flask's
 * `args.get`), list fields always become arrays even with one value.
 */
export function fromQuery(query: unknown, listFields: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!query || typeof query !== 'object') return out;
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    if (listFields.includes(key)) out[key] = Array.isArray(value) ? value : [value];
    else out[key] = Array.isArray(value) ? value[0] : value;
  }
  return out;
}
