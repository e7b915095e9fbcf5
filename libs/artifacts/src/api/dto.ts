import { z } from 'zod';
import { invalidParameter, objectBody, withRunId } from '@cairn/contracts';

/** Parses a request against a zod schema; any mismatch is a 400 INVALID_PARAMETER_VALUE naming the field. */
export function parseRequest<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw invalidParameter('Invalid request.');
  const field = issue.path.join('.');
  throw invalidParameter(
    issue.code === 'invalid_type' && issue.input === undefined
      ? `Missing value for required parameter '${field}'.`
      : `Invalid value for parameter '${field}': ${issue.message}`,
  );
}

/** A query value: the first of a repeated key. */
const queryString = z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.string());
const nonEmpty = z.preprocess((v) => (Array.isArray(v) ? v[0] : v === '' ? undefined : v), z.string());
const count = z.preprocess((v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v), z.number().int().min(0));

export const listQuery = z.object({ path: queryString.optional() });
export const runArtifactQuery = z.object({ run_id: nonEmpty.optional(), run_uuid: nonEmpty.optional(), path: nonEmpty }).refine((q) => q.run_id ?? q.run_uuid, {
  message: "Missing value for required parameter 'run_id'.",
  path: ['run_id'],
});
export const modelVersionArtifactQuery = z.object({ name: nonEmpty, version: nonEmpty, path: nonEmpty });
/** MLflow's `list_artifacts_impl` reads `run_id or run_uuid`. */
export const runListQuery = z.preprocess((q) => withRunId(objectBody(q)), z.object({ run_id: nonEmpty, path: queryString.optional() }));
export const loggedModelDirectoryQuery = z.object({ artifact_directory_path: queryString.optional() });
export const loggedModelFileQuery = z.object({ artifact_file_path: nonEmpty.optional() });
export const usageQuery = z.object({ run_id: nonEmpty.optional(), experiment_id: nonEmpty.optional() });
export const experimentQuery = z.object({ experiment_id: nonEmpty });

export const setRetentionPolicy = z.object({
  experiment_id: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string().regex(/^\d+$/, 'must be an experiment id')),
  prefix: z.string().min(1),
  keep_last: count.optional(),
  keep_best: count.optional(),
  metric_key: z.string().min(1).max(250).optional(),
  metric_goal: z.enum(['max', 'min']).optional(),
});
export const deleteRetentionPolicy = z.object({ policy_id: z.string().min(1) });
export const setQuota = z.object({
  experiment_id: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string().regex(/^\d+$/, 'must be an experiment id')),
  /** null or 0 removes the quota. */
  max_bytes: z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v), z.number().int().min(0).nullable()),
});
