import { z } from 'zod';
import { bool, double, id, int64, keyValue, keyValues, loggedModelStatus, parseRequest, required, runStatus, str, viewType } from '@cairn/contracts';

/** Request schemas of the tracking endpoints (mlflow-api.md §4), field names as on the wire. */

const stringList = z.array(str).optional().default([]);

export const createExperiment = z.object({ name: required(str), artifact_location: str.optional(), tags: keyValues });
export const experimentId = z.object({ experiment_id: required(id) });
export const experimentByName = z.object({ experiment_name: required(str) });
export const updateExperiment = z.object({ experiment_id: required(id), new_name: required(str) });
export const setExperimentTag = z.object({ experiment_id: required(id), key: required(str), value: str.optional().default('') });
export const deleteExperimentTag = z.object({ experiment_id: required(id), key: required(str) });
export const searchExperiments = z.object({
  max_results: int64.optional(),
  page_token: str.optional(),
  filter: str.optional(),
  order_by: stringList,
  view_type: viewType.optional().default('ACTIVE_ONLY'),
});

export const createRun = z.object({
  experiment_id: z.preprocess((v) => (v === '' ? undefined : v), id.optional()),
  user_id: str.optional(),
  run_name: str.optional(),
  start_time: int64.optional(),
  tags: keyValues,
});
export const runId = z.object({ run_id: required(str) });
export const environmentDiff = z.object({ run_a: required(str), run_b: required(str) });
export const runHistory = z.object({ run_id: required(str), page_token: str.optional(), max_results: int64.optional(), include_metrics: bool.optional() });
export const updateRun = z.object({ run_id: required(str), status: runStatus.optional(), end_time: int64.optional(), run_name: str.optional() });
export const searchRuns = z.object({
  experiment_ids: z.array(id).optional().default([]),
  filter: str.optional(),
  run_view_type: viewType.optional().default('ACTIVE_ONLY'),
  max_results: int64.optional(),
  order_by: stringList,
  page_token: str.optional(),
});

const metricFields = {
  key: required(str),
  value: required(double),
  timestamp: required(int64),
  step: int64.optional().default(0),
  model_id: str.optional(),
  dataset_name: str.optional(),
  dataset_digest: str.optional(),
};
export const logMetric = z.object({ run_id: required(str), ...metricFields });
export const logParam = z.object({ run_id: required(str), key: required(str), value: str.optional().default('') });
export const setTag = z.object({ run_id: required(str), key: required(str), value: str.optional().default('') });
export const deleteTag = z.object({ run_id: required(str), key: required(str) });
export const logBatch = z.object({
  run_id: required(str),
  metrics: z.array(z.object(metricFields)).optional().default([]),
  params: z.array(keyValue).optional().default([]),
  tags: z.array(keyValue).optional().default([]),
});

type LogBatchRequest = z.output<typeof logBatch>;
type MetricInput = LogBatchRequest['metrics'][number];

/**
 * `parseRequest(logBatch, input)`, with the metrics checked by hand when every point has the plain
 * shape clients send (string key, number value, integer timestamp and step): running 1000 points
 * through zod's preprocessors cost the server more CPU than storing them. Any other point (int64 as
 * a string, "NaN", null, a wrong type) sends the whole request through the schema, which accepts
 * or words the error exactly as before.
 */
export function parseLogBatch(input: unknown): LogBatchRequest {
  const metrics = input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as { metrics?: unknown }).metrics : undefined;
  if (!Array.isArray(metrics) || metrics.length === 0 || !metrics.every(isPlainMetric)) return parseRequest(logBatch, input);
  return { ...parseRequest(logBatch, { ...(input as object), metrics: [] }), metrics: metrics.map(plainMetric) };
}

const plainString = (v: unknown): v is string => typeof v === 'string' && !v.includes('\u0000');
const optionalString = (v: unknown) => v === undefined || plainString(v);

function isPlainMetric(m: unknown): m is Record<string, unknown> {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return false;
  const r = m as Record<string, unknown>;
  return (
    plainString(r.key) &&
    r.key !== '' &&
    typeof r.value === 'number' &&
    Number.isSafeInteger(r.timestamp) &&
    (r.step === undefined || Number.isSafeInteger(r.step)) &&
    optionalString(r.model_id) &&
    optionalString(r.dataset_name) &&
    optionalString(r.dataset_digest)
  );
}

/** What the schema outputs for a plain point: known fields only, step defaulting to 0. */
function plainMetric(r: Record<string, unknown>): MetricInput {
  const m: MetricInput = { key: r.key as string, value: r.value as number, timestamp: r.timestamp as number, step: (r.step as number | undefined) ?? 0 };
  if (r.model_id !== undefined) m.model_id = r.model_id as string;
  if (r.dataset_name !== undefined) m.dataset_name = r.dataset_name as string;
  if (r.dataset_digest !== undefined) m.dataset_digest = r.dataset_digest as string;
  return m;
}

export const logModel = z.object({ run_id: required(str), model_json: required(str) });
export const logInputs = z.object({
  run_id: required(str),
  datasets: z
    .array(
      z.object({
        tags: keyValues,
        dataset: z.object({
          // MLflow's server only insists on the name; the client always sends the rest.
          name: required(str),
          digest: str.optional().default(''),
          source_type: str.optional().default(''),
          source: str.optional().default(''),
          schema: str.optional(),
          profile: str.optional(),
        }),
      }),
    )
    .optional()
    .default([]),
  models: z
    .array(z.object({ model_id: required(str) }))
    .optional()
    .default([]),
});
export const logOutputs = z.object({ run_id: required(str), models: z.array(z.object({ model_id: required(str), step: int64.optional().default(0) })) });

export const metricHistory = z.object({ run_id: required(str), metric_key: required(str), page_token: str.optional(), max_results: int64.optional() });
export const metricHistoryBulkInterval = z.object({
  run_ids: z.array(str).optional().default([]),
  metric_key: required(str),
  start_step: int64.optional(),
  end_step: int64.optional(),
  max_results: int64.optional(),
});

export const createLoggedModel = z.object({
  experiment_id: required(id),
  name: str.optional(),
  model_type: str.optional(),
  source_run_id: str.optional(),
  params: keyValues,
  tags: keyValues,
});
export const getLoggedModel = z.object({ allow_deleted: bool.optional().default(false) });
export const finalizeLoggedModel = z.object({ status: required(loggedModelStatus) });
export const loggedModelTags = z.object({ tags: keyValues });
export const loggedModelParams = z.object({ params: keyValues });
export const searchDatasets = z.object({ experiment_ids: z.array(id).optional().default([]) });

export const searchLoggedModels = z.object({
  experiment_ids: z.array(id).optional().default([]),
  filter: str.optional(),
  order_by: z
    .array(z.object({ field_name: required(str), ascending: bool.optional().default(true), dataset_name: str.optional(), dataset_digest: str.optional() }))
    .optional()
    .default([]),
  datasets: z
    .array(z.object({ dataset_name: str.optional().default(''), dataset_digest: str.optional() }))
    .optional()
    .default([]),
  max_results: int64.optional(),
  page_token: str.optional(),
});

// ---- Cairn's run-lifecycle endpoints (issue 7) --------------------------------------------------

export const reapOrphans = z.object({ dry_run: bool.optional().default(false) });

/** `older_than_days` overrides the configured retention (0 = every deleted run, for ops and tests). */
export const gc = z.object({
  dry_run: bool.optional().default(false),
  older_than_days: z
    .preprocess(
      (v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v),
      z.number().finite().min(0, 'Must be a number of days, 0 or more.'),
    )
    .optional(),
});
