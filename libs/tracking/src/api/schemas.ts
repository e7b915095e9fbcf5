import { z } from 'zod';
import { bool, double, id, int64, keyValue, keyValues, loggedModelStatus, required, runStatus, str, viewType } from './dto';

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
  models: z.array(z.object({ model_id: required(str) })).optional().default([]),
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
  datasets: z.array(z.object({ dataset_name: str.optional().default(''), dataset_digest: str.optional() })).optional().default([]),
  max_results: int64.optional(),
  page_token: str.optional(),
});

// ---- Cairn's run-lifecycle endpoints (issue 7) --------------------------------------------------

export const reapOrphans = z.object({ dry_run: bool.optional().default(false) });

/** `older_than_days` overrides the configured retention (0 = every deleted run, for ops and tests). */
export const gc = z.object({
  dry_run: bool.optional().default(false),
  older_than_days: z
    .preprocess((v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v), z.number().finite().min(0, 'Must be a number of days, 0 or more.'))
    .optional(),
});
