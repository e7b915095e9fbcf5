/**
 * SQL of the trace read model (0014_traces): the write side's lock, the projection's statements and
 * the queries' reads. Every statement takes the trace id as `$1` unless said otherwise.
 */

// ---- write side ---------------------------------------------------------------------------------

export const LOCK_TRACE = `
  SELECT trace_id, experiment_id::text AS experiment_id, version FROM tracking.traces WHERE trace_id = $1 FOR UPDATE`;

export const SELECT_TRACE_TAG_KEYS = `SELECT key FROM tracking.trace_tags WHERE trace_id = $1`;

export const SELECT_TRACE_ASSESSMENTS = `
  SELECT assessment_id, name, create_time, last_update_time, body FROM tracking.trace_assessments WHERE trace_id = $1`;

export const SET_TRACE_VERSION = `UPDATE tracking.traces SET version = $2 WHERE trace_id = $1`;

/** Oldest first, as MLflow's SQL store picks the traces `delete-traces` removes by time (`$1` experiment, `$2` max time, `$3` max count). */
export const SELECT_TRACE_IDS_UP_TO = `
  SELECT trace_id FROM tracking.traces
  WHERE experiment_id = $1 AND request_time <= $2
  ORDER BY request_time, trace_id
  LIMIT $3`;

/** Which of `$2` (trace ids) are in experiment `$1`: delete-traces by ids deletes only those. */
export const SELECT_TRACE_IDS_IN_EXPERIMENT = `
  SELECT trace_id FROM tracking.traces WHERE experiment_id = $1 AND trace_id = ANY($2::text[]) ORDER BY trace_id`;

// ---- projection ---------------------------------------------------------------------------------

/** A retried StartTraceV3 replaces the fields it carries; `$9` is the `mlflow.sourceRun` metadata. */
export const UPSERT_TRACE = `
  INSERT INTO tracking.traces
    (trace_id, experiment_id, request_time, execution_duration, state, request_preview, response_preview, client_request_id, run_id)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
  ON CONFLICT (trace_id) DO UPDATE SET
    request_time = excluded.request_time,
    execution_duration = excluded.execution_duration,
    state = excluded.state,
    request_preview = excluded.request_preview,
    response_preview = excluded.response_preview,
    client_request_id = excluded.client_request_id,
    run_id = coalesce(excluded.run_id, tracking.traces.run_id)`;

/** `$2`, `$3`: keys and values. */
export const UPSERT_TRACE_TAGS = `
  INSERT INTO tracking.trace_tags (trace_id, key, value)
  SELECT $1, t.key, t.value FROM unnest($2::text[], $3::text[]) AS t(key, value)
  ORDER BY t.key
  ON CONFLICT (trace_id, key) DO UPDATE SET value = excluded.value`;

export const UPSERT_TRACE_METADATA = `
  INSERT INTO tracking.trace_metadata (trace_id, key, value)
  SELECT $1, m.key, m.value FROM unnest($2::text[], $3::text[]) AS m(key, value)
  ORDER BY m.key
  ON CONFLICT (trace_id, key) DO UPDATE SET value = excluded.value`;

export const DELETE_TRACE_TAG = `DELETE FROM tracking.trace_tags WHERE trace_id = $1 AND key = $2`;

/** `$2`…`$6`: id, name, create and update times, the Assessment JSON. */
export const UPSERT_TRACE_ASSESSMENT = `
  INSERT INTO tracking.trace_assessments (assessment_id, trace_id, name, create_time, last_update_time, body)
  VALUES ($2, $1, $3, $4, $5, $6)
  ON CONFLICT (trace_id, assessment_id) DO UPDATE SET
    name = excluded.name, last_update_time = excluded.last_update_time, body = excluded.body`;

export const DELETE_TRACE_ASSESSMENT = `DELETE FROM tracking.trace_assessments WHERE trace_id = $1 AND assessment_id = $2`;

export const DELETE_TRACE = `
  WITH tags AS (DELETE FROM tracking.trace_tags WHERE trace_id = $1),
  metadata AS (DELETE FROM tracking.trace_metadata WHERE trace_id = $1),
  assessments AS (DELETE FROM tracking.trace_assessments WHERE trace_id = $1)
  DELETE FROM tracking.traces WHERE trace_id = $1`;

/** An experiment's purge takes its traces with it (`$1`: experiment id). */
export const PURGE_EXPERIMENT_TRACES = `
  WITH purged AS (SELECT trace_id FROM tracking.traces WHERE experiment_id = $1),
  tags AS (DELETE FROM tracking.trace_tags WHERE trace_id IN (SELECT trace_id FROM purged)),
  metadata AS (DELETE FROM tracking.trace_metadata WHERE trace_id IN (SELECT trace_id FROM purged)),
  assessments AS (DELETE FROM tracking.trace_assessments WHERE trace_id IN (SELECT trace_id FROM purged))
  DELETE FROM tracking.traces WHERE experiment_id = $1`;

// ---- reads --------------------------------------------------------------------------------------

/**
 * Trace infos by id (`$1`: ids), each with its tags, metadata and assessments folded into JSON in
 * one round trip; the caller puts them back in the requested order.
 */
export const SELECT_TRACE_INFOS = `
  SELECT tr.trace_id, tr.experiment_id::text AS experiment_id, tr.request_time, tr.execution_duration, tr.state,
         tr.request_preview, tr.response_preview, tr.client_request_id,
         (SELECT coalesce(json_object_agg(key, value), '{}') FROM tracking.trace_tags WHERE trace_id = tr.trace_id) AS tags,
         (SELECT coalesce(json_object_agg(key, value), '{}') FROM tracking.trace_metadata WHERE trace_id = tr.trace_id) AS metadata,
         (SELECT coalesce(json_agg(body ORDER BY create_time, assessment_id), '[]')
            FROM tracking.trace_assessments WHERE trace_id = tr.trace_id) AS assessments
  FROM tracking.traces tr
  WHERE tr.trace_id = ANY($1::text[])`;

export const SELECT_TRACE_ASSESSMENT = `SELECT body FROM tracking.trace_assessments WHERE trace_id = $1 AND assessment_id = $2`;
