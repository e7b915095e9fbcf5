/**
 * The tracking read model's SQL, as named constants readable as SQL. Projections write with these
 * inside the command's transaction; queries read with them. Metric points are written set-based
 * (`unnest` of parallel arrays), never one statement per point.
 */

import { laterMetricSql } from '@cairn/contracts';

// ---- write side: locking the aggregate row ------------------------------------------------------

/**
 * Locks a run for the length of the command: writers of one run are serialized, so no deadlock, and
 * the event store can number a run's events after the stored ones without an expected version.
 */
export const LOCK_RUN = `
  SELECT run_uuid, experiment_id::text AS experiment_id, name, status, lifecycle_stage, start_time, end_time, deleted_time, last_activity_ms
  FROM tracking.runs WHERE run_uuid = $1 FOR UPDATE`;

export const SELECT_PARAMS_BY_KEYS = `SELECT key, value FROM tracking.params WHERE run_uuid = $1 AND key = ANY($2::text[])`;
export const SELECT_TAGS_BY_KEYS = `SELECT key, value FROM tracking.tags WHERE run_uuid = $1 AND key = ANY($2::text[])`;

export const LOCK_EXPERIMENT = `
  SELECT experiment_id::text AS experiment_id, name, artifact_location, lifecycle_stage, deleted_time, version
  FROM tracking.experiments WHERE experiment_id = $1 FOR UPDATE`;

export const LOCK_EXPERIMENT_SHARE = `
  SELECT experiment_id::text AS experiment_id, name, artifact_location, lifecycle_stage, deleted_time, version
  FROM tracking.experiments WHERE experiment_id = $1 FOR SHARE`;

export const SELECT_EXPERIMENT_TAG_KEYS = `SELECT key FROM tracking.experiment_tags WHERE experiment_id = $1`;

export const SELECT_EXPERIMENT_BY_NAME_FOR_NAME_CHECK = `
  SELECT experiment_id::text AS experiment_id, lifecycle_stage FROM tracking.experiments WHERE name = $1`;

export const NEXT_EXPERIMENT_ID = `SELECT nextval('tracking.experiment_id_seq')::text AS id`;

export const SELECT_RUN_IDS_OF_EXPERIMENT = `SELECT run_uuid FROM tracking.runs WHERE experiment_id = $1 ORDER BY run_uuid`;

export const LOCK_LOGGED_MODEL = `
  SELECT model_id, experiment_id::text AS experiment_id, status, lifecycle_stage, version
  FROM tracking.logged_models WHERE model_id = $1 FOR UPDATE`;

export const SELECT_LOGGED_MODEL_TAG_KEYS = `SELECT key FROM tracking.logged_model_tags WHERE model_id = $1`;

/**
 * A command on a run is a sign of life for the orphan reaper (`$2`: the server's time). Only written
 * when the recorded activity is a second old or more (see TrackingStore.recordRunActivityAtCommit).
 */
export const RECORD_RUN_ACTIVITY = `UPDATE tracking.runs SET last_activity_ms = greatest(coalesce(last_activity_ms, 0), $2) WHERE run_uuid = $1`;
export const SET_EXPERIMENT_VERSION = `UPDATE tracking.experiments SET version = $2 WHERE experiment_id = $1`;
export const SET_LOGGED_MODEL_VERSION = `UPDATE tracking.logged_models SET version = $2 WHERE model_id = $1`;

// ---- projections: experiments -------------------------------------------------------------------

export const INSERT_EXPERIMENT = `
  INSERT INTO tracking.experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
  VALUES ($1, $2, $3, 'active', $4, $4)`;

export const UPSERT_EXPERIMENT_TAGS = `
  INSERT INTO tracking.experiment_tags (experiment_id, key, value)
  SELECT $1, t.key, t.value FROM unnest($2::text[], $3::text[]) AS t(key, value)
  ORDER BY t.key
  ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value`;

export const DELETE_EXPERIMENT_TAG = `DELETE FROM tracking.experiment_tags WHERE experiment_id = $1 AND key = $2`;

export const RENAME_EXPERIMENT = `UPDATE tracking.experiments SET name = $2, last_update_time = $3 WHERE experiment_id = $1`;

export const SET_EXPERIMENT_STAGE = `UPDATE tracking.experiments SET lifecycle_stage = $2, last_update_time = $3, deleted_time = $4 WHERE experiment_id = $1`;

export const TOUCH_EXPERIMENT = `UPDATE tracking.experiments SET last_update_time = $2 WHERE experiment_id = $1`;

/**
 * Garbage collection of an experiment whose runs are already purged: its logged models (with their
 * tags, params, metric copies), datasets and tags, then the row itself (experiment_tags references it).
 */
export const PURGE_EXPERIMENT_CONTENTS = `
  WITH models AS (SELECT model_id FROM tracking.logged_models WHERE experiment_id = $1),
  model_tags AS (DELETE FROM tracking.logged_model_tags WHERE model_id IN (SELECT model_id FROM models)),
  model_params AS (DELETE FROM tracking.logged_model_params WHERE model_id IN (SELECT model_id FROM models)),
  model_metrics AS (DELETE FROM tracking.logged_model_metrics WHERE model_id IN (SELECT model_id FROM models)),
  logged_models AS (DELETE FROM tracking.logged_models WHERE experiment_id = $1),
  datasets AS (DELETE FROM tracking.datasets WHERE experiment_id = $1)
  DELETE FROM tracking.experiment_tags WHERE experiment_id = $1`;

export const DELETE_EXPERIMENT = `DELETE FROM tracking.experiments WHERE experiment_id = $1`;

// ---- projections: runs --------------------------------------------------------------------------

export const INSERT_RUN = `
  INSERT INTO tracking.runs (run_uuid, experiment_id, name, user_id, status, start_time, lifecycle_stage, artifact_uri)
  VALUES ($1, $2, $3, $4, $5, $6, 'active', $7)`;

export const UPDATE_RUN = `
  UPDATE tracking.runs
  SET status = coalesce($2, status), end_time = coalesce($3, end_time), name = coalesce($4, name)
  WHERE run_uuid = $1`;

export const SET_RUN_STAGE = `UPDATE tracking.runs SET lifecycle_stage = $2, deleted_time = $3 WHERE run_uuid = $1`;

export const SET_RUNS_STAGE = `UPDATE tracking.runs SET lifecycle_stage = $2, deleted_time = $3 WHERE run_uuid = ANY($1::text[])`;

export const RENAME_RUN = `UPDATE tracking.runs SET name = $2 WHERE run_uuid = $1`;

/** Garbage collection of a run: its dataset/model inputs first (input_tags references inputs)… */
export const PURGE_RUN_INPUT_TAGS = `
  DELETE FROM tracking.input_tags
  WHERE input_uuid IN (SELECT input_uuid FROM tracking.inputs WHERE destination_type = 'RUN' AND destination_id = $1)`;

/** …then everything else of the run, and the run. Logged models it produced stay (they belong to the experiment). */
export const PURGE_RUN = `
  WITH inputs AS (DELETE FROM tracking.inputs WHERE destination_type = 'RUN' AND destination_id = $1),
  metrics AS (DELETE FROM tracking.metric_chunks WHERE run_uuid = $1),
  latest AS (DELETE FROM tracking.latest_metrics WHERE run_uuid = $1),
  params AS (DELETE FROM tracking.params WHERE run_uuid = $1),
  tags AS (DELETE FROM tracking.tags WHERE run_uuid = $1),
  outputs AS (DELETE FROM tracking.run_outputs WHERE run_uuid = $1)
  DELETE FROM tracking.runs WHERE run_uuid = $1`;

/** Tags upserted in key order, so two requests touching the same keys lock them in the same order. */
export const UPSERT_RUN_TAGS = `
  INSERT INTO tracking.tags (run_uuid, key, value)
  SELECT $1, t.key, t.value FROM unnest($2::text[], $3::text[]) AS t(key, value)
  ORDER BY t.key
  ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value`;

export const DELETE_RUN_TAG = `DELETE FROM tracking.tags WHERE run_uuid = $1 AND key = $2`;

/** Params are write-once; the decider already refused a different value, so a conflict is the same value. */
export const INSERT_PARAMS = `
  INSERT INTO tracking.params (run_uuid, key, value)
  SELECT $1, p.key, p.value FROM unnest($2::text[], $3::text[]) AS p(key, value)
  ORDER BY p.key
  ON CONFLICT (run_uuid, key) DO NOTHING`;

/** Appends to the `mlflow.log-model.history` tag (a JSON list), as MLflow's `record_logged_model`. */
export const APPEND_LOG_MODEL_HISTORY = `
  INSERT INTO tracking.tags (run_uuid, key, value)
  VALUES ($1, 'mlflow.log-model.history', jsonb_build_array($2::jsonb)::text)
  ON CONFLICT (run_uuid, key) DO UPDATE
  SET value = (CASE WHEN jsonb_typeof(tags.value::jsonb) = 'array' THEN tags.value::jsonb ELSE '[]'::jsonb END || jsonb_build_array($2::jsonb))::text`;

// ---- projections: metrics (the hot path) --------------------------------------------------------

/** `excluded` (a point being upserted) is later than `cur` (the stored latest), by the one rule. */
const laterThanCurrent = laterMetricSql('excluded', 'cur');

/**
 * Applies one request's points (up to 1000) in one statement, as planned by `planMetricWrites`:
 * $2..$9 are the distinct points as parallel arrays in (key, step, timestamp, value) order (array
 * literals built by the projection, far cheaper for `pg` and Postgres than a JSON document; a
 * NULL array for a column no point sets pads with NULLs), $15 each point's chunk number (a key's
 * points split every METRIC_CHUNK_POINTS), $10..$14 the newest point per key, in key order.
 *
 * - history: chunks per key (0011_metric_chunks), their arrays in the planned order. A point
 *   identical to a stored one (same key, step, timestamp, value) is skipped, as MLflow's SQL store
 *   does — the 3.x client re-logs step-0 points with a model_id during log_model and the history
 *   must not double. latest_metrics holds the latest point (`laterMetricSql`) ever stored per key
 *   (it is written only here, with the history, under the run's row lock), so a point beyond it
 *   cannot be a duplicate: only points at or below it are probed, in the chunks that can contain
 *   their step — ingest that moves forward probes nothing. OFFSET 0 keeps the probe per point:
 *   Postgres may otherwise unnest the run's whole history into a hash;
 * - latest: upserted in key order, so concurrent writers of one run lock latest_metrics rows in
 *   the same order and cannot deadlock; the point is replaced only by a later one, the series'
 *   widest chunk span only by a wider one.
 * Every CTE reads the snapshot from before the statement, so `prior` is the latest before this batch.
 */
export const APPLY_METRIC_POINTS = `
  WITH m AS (
    SELECT * FROM unnest($2::text[], $3::float8[], $4::int8[], $5::int8[], $6::bool[], $7::text[], $8::text[], $9::text[], $15::int[]) WITH ORDINALITY
      AS m(key, value, timestamp, step, is_nan, model_id, dataset_name, dataset_digest, chunk, ord)
  ),
  prior AS (
    SELECT l.key, l.step, l.timestamp, l.value, l.is_nan, l.max_chunk_span FROM tracking.latest_metrics l
    WHERE l.run_uuid = $1 AND l.key = ANY($10::text[])
  ),
  kept AS (
    SELECT m.* FROM m LEFT JOIN prior p ON p.key = m.key
    WHERE p.key IS NULL
       OR ${laterMetricSql('m', 'p')}
       OR NOT EXISTS (
            SELECT 1 FROM tracking.metric_chunks x
            CROSS JOIN LATERAL unnest(x.steps, x.timestamps, x.metric_values, x.is_nans) AS u(step, timestamp, value, is_nan)
            WHERE x.run_uuid = $1 AND x.key = m.key
              AND x.min_step BETWEEN tracking.chunk_floor(m.step, p.max_chunk_span) AND m.step AND x.max_step >= m.step
              AND u.step = m.step AND u.timestamp = m.timestamp AND u.value = m.value AND u.is_nan = m.is_nan
            OFFSET 0)
  ),
  history AS (
    INSERT INTO tracking.metric_chunks (run_uuid, key, min_step, max_step, points, steps, timestamps, metric_values, is_nans, model_ids, dataset_names, dataset_digests)
    SELECT $1, k.key, min(k.step), max(k.step), count(*)::int,
           array_agg(k.step ORDER BY k.ord), array_agg(k.timestamp ORDER BY k.ord), array_agg(k.value ORDER BY k.ord), array_agg(k.is_nan ORDER BY k.ord),
           CASE WHEN bool_or(k.model_id IS NOT NULL) THEN array_agg(k.model_id ORDER BY k.ord) ELSE '{}' END,
           CASE WHEN bool_or(k.dataset_name IS NOT NULL) THEN array_agg(k.dataset_name ORDER BY k.ord) ELSE '{}' END,
           CASE WHEN bool_or(k.dataset_digest IS NOT NULL) THEN array_agg(k.dataset_digest ORDER BY k.ord) ELSE '{}' END
    FROM kept k
    GROUP BY k.chunk, k.key
    ORDER BY k.chunk
    RETURNING key, tracking.chunk_span(min_step, max_step) AS span
  )
  INSERT INTO tracking.latest_metrics AS cur (run_uuid, key, value, timestamp, step, is_nan, max_chunk_span)
  SELECT $1, b.key, b.value, b.timestamp, b.step, b.is_nan, coalesce((SELECT max(h.span) FROM history h WHERE h.key = b.key), 0)
  FROM unnest($10::text[], $11::float8[], $12::int8[], $13::int8[], $14::bool[]) WITH ORDINALITY AS b(key, value, timestamp, step, is_nan, ord)
  ORDER BY b.ord
  ON CONFLICT (run_uuid, key) DO UPDATE
  SET value = CASE WHEN ${laterThanCurrent} THEN excluded.value ELSE cur.value END,
      timestamp = CASE WHEN ${laterThanCurrent} THEN excluded.timestamp ELSE cur.timestamp END,
      step = CASE WHEN ${laterThanCurrent} THEN excluded.step ELSE cur.step END,
      is_nan = CASE WHEN ${laterThanCurrent} THEN excluded.is_nan ELSE cur.is_nan END,
      max_chunk_span = greatest(cur.max_chunk_span, excluded.max_chunk_span)
  WHERE ${laterThanCurrent}
     OR excluded.max_chunk_span > cur.max_chunk_span`;

/** Points logged with a model_id also belong to that logged model (3.x); same array literals. */
export const APPLY_LOGGED_MODEL_METRIC_POINTS = `
  INSERT INTO tracking.logged_model_metrics (model_id, run_uuid, key, value, timestamp, step, is_nan, dataset_name, dataset_digest)
  SELECT m.model_id, $1, m.key, m.value, m.timestamp, m.step, m.is_nan, m.dataset_name, m.dataset_digest
  FROM unnest($2::text[], $3::float8[], $4::int8[], $5::int8[], $6::bool[], $7::text[], $8::text[], $9::text[])
    AS m(key, value, timestamp, step, is_nan, model_id, dataset_name, dataset_digest)
  ON CONFLICT DO NOTHING`;

// ---- projections: inputs and outputs ------------------------------------------------------------

export const UPSERT_DATASET = `
  INSERT INTO tracking.datasets (dataset_uuid, experiment_id, name, digest, source_type, source, schema, profile)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (experiment_id, name, digest) DO UPDATE SET name = excluded.name
  RETURNING dataset_uuid`;

export const INSERT_INPUT = `
  INSERT INTO tracking.inputs (input_uuid, source_type, source_id, destination_type, destination_id)
  VALUES ($1, $2, $3, 'RUN', $4)
  ON CONFLICT (source_type, source_id, destination_type, destination_id) DO NOTHING
  RETURNING input_uuid`;

export const INSERT_INPUT_TAGS = `
  INSERT INTO tracking.input_tags (input_uuid, name, value)
  SELECT $1, t.name, t.value FROM unnest($2::text[], $3::text[]) AS t(name, value)
  ON CONFLICT (input_uuid, name) DO UPDATE SET value = excluded.value`;

export const INSERT_RUN_OUTPUTS = `
  INSERT INTO tracking.run_outputs (run_uuid, model_id, step)
  SELECT $1, o.model_id, o.step FROM unnest($2::text[], $3::int8[]) AS o(model_id, step)
  ON CONFLICT DO NOTHING`;

// ---- projections: logged models -----------------------------------------------------------------

export const INSERT_LOGGED_MODEL = `
  INSERT INTO tracking.logged_models (model_id, experiment_id, name, artifact_location, creation_timestamp_ms, last_updated_timestamp_ms, status, model_type, source_run_id)
  VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)`;

export const UPSERT_LOGGED_MODEL_TAGS = `
  INSERT INTO tracking.logged_model_tags (model_id, key, value)
  SELECT $1, t.key, t.value FROM unnest($2::text[], $3::text[]) AS t(key, value)
  ORDER BY t.key
  ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value`;

export const UPSERT_LOGGED_MODEL_PARAMS = `
  INSERT INTO tracking.logged_model_params (model_id, key, value)
  SELECT $1, p.key, p.value FROM unnest($2::text[], $3::text[]) AS p(key, value)
  ORDER BY p.key
  ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value`;

export const DELETE_LOGGED_MODEL_TAG = `DELETE FROM tracking.logged_model_tags WHERE model_id = $1 AND key = $2`;

export const SET_LOGGED_MODEL_STATUS = `UPDATE tracking.logged_models SET status = $2, last_updated_timestamp_ms = $3 WHERE model_id = $1`;

export const SET_LOGGED_MODEL_STAGE = `UPDATE tracking.logged_models SET lifecycle_stage = $2, last_updated_timestamp_ms = $3 WHERE model_id = $1`;

export const TOUCH_LOGGED_MODEL = `UPDATE tracking.logged_models SET last_updated_timestamp_ms = $2 WHERE model_id = $1`;

// ---- queries ------------------------------------------------------------------------------------

export const SELECT_EXPERIMENT = `
  SELECT experiment_id::text AS experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time
  FROM tracking.experiments WHERE experiment_id = $1`;

export const SELECT_EXPERIMENT_BY_NAME = `
  SELECT experiment_id::text AS experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time
  FROM tracking.experiments WHERE name = $1`;

export const SELECT_EXPERIMENTS_BY_IDS = `
  SELECT experiment_id::text AS experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time
  FROM tracking.experiments WHERE experiment_id = ANY($1::bigint[])`;

export const SELECT_EXPERIMENT_TAGS = `
  SELECT experiment_id::text AS experiment_id, key, value FROM tracking.experiment_tags
  WHERE experiment_id = ANY($1::bigint[]) ORDER BY key`;

export const SELECT_RUNS_BY_IDS = `
  SELECT run_uuid, experiment_id::text AS experiment_id, name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri
  FROM tracking.runs WHERE run_uuid = ANY($1::text[])`;

export const SELECT_LATEST_METRICS = `
  SELECT run_uuid, key, value, timestamp, step, is_nan FROM tracking.latest_metrics WHERE run_uuid = ANY($1::text[]) ORDER BY key`;
export const SELECT_PARAMS = `SELECT run_uuid, key, value FROM tracking.params WHERE run_uuid = ANY($1::text[]) ORDER BY key`;
export const SELECT_TAGS = `SELECT run_uuid, key, value FROM tracking.tags WHERE run_uuid = ANY($1::text[]) ORDER BY key`;

export const SELECT_DATASET_INPUTS = `
  SELECT i.destination_id AS run_uuid, i.input_uuid, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
  FROM tracking.inputs i JOIN tracking.datasets d ON d.dataset_uuid = i.source_id
  WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN' AND i.destination_id = ANY($1::text[])
  ORDER BY d.name, d.digest`;

export const SELECT_INPUT_TAGS = `SELECT input_uuid, name, value FROM tracking.input_tags WHERE input_uuid = ANY($1::text[]) ORDER BY name`;

export const SELECT_MODEL_INPUTS = `
  SELECT destination_id AS run_uuid, source_id AS model_id FROM tracking.inputs
  WHERE source_type = 'MODEL' AND destination_type = 'RUN' AND destination_id = ANY($1::text[]) ORDER BY source_id`;

export const SELECT_RUN_OUTPUTS = `SELECT run_uuid, model_id, step FROM tracking.run_outputs WHERE run_uuid = ANY($1::text[]) ORDER BY model_id, step`;

/**
 * Datasets used by runs of the experiments, with their input context (UI: experiments/search-datasets).
 * `visibleExperiments`: the caller's read scope on `d.experiment_id` (readScopeCondition, from `$2`).
 */
export const searchDatasets = (visibleExperiments: string) => `
  SELECT DISTINCT d.experiment_id::text AS experiment_id, d.name, d.digest, ctx.value AS context
  FROM tracking.datasets d
  JOIN tracking.inputs i ON i.source_type = 'DATASET' AND i.source_id = d.dataset_uuid
  LEFT JOIN tracking.input_tags ctx ON ctx.input_uuid = i.input_uuid AND ctx.name = 'mlflow.data.context'
  WHERE d.experiment_id = ANY($1::bigint[]) AND ${visibleExperiments}
  ORDER BY 1, 2, 3, 4
  LIMIT 1000`;

/**
 * The next page of a metric's history after a keyset cursor (step $3, timestamp $4, id $5), at most
 * $6 points, as the CTE `page` (0011_metric_chunks). Which chunks to read:
 * - those that began at or before the cursor's step and reach it (the series' widest chunk span
 *   bounds how far back they can begin, so this is an index range, not the whole past);
 * - those that begin after it, in min_step order, up to the chunk at which they hold $6 points
 *   (min_step `bound.m`); the page then stops before the next chunk's first step (`stop.s`): every
 *   point before that step is in a chunk already read. Chunks that overlap can make a page shorter
 *   than $6, never empty while points remain; such a page says so (`cut`), the caller asks for more.
 * Points are ordered by (step, timestamp, id), id = chunk_id * 1024 + index in the chunk, so the
 * next page starts after the last point returned and pages stay correct while points are appended.
 */
const HISTORY_PAGE = `
  WITH series AS (
    SELECT max_chunk_span AS span FROM tracking.latest_metrics WHERE run_uuid = $1 AND key = $2
  ),
  -- Read in min_step order from the index and stopped at the first chunk that completes a page
  -- (chunks sharing a min_step are peers of the running sum: they all count, they are all read).
  bound AS (
    SELECT (
      SELECT a.min_step
      FROM (
        SELECT c.min_step, sum(c.points) OVER (ORDER BY c.min_step) AS cum
        FROM tracking.metric_chunks c
        WHERE c.run_uuid = $1 AND c.key = $2 AND c.min_step > $3::int8
        ORDER BY c.min_step
      ) a
      WHERE a.cum >= $6
      ORDER BY a.min_step
      LIMIT 1) AS m
  ),
  stop AS (
    SELECT (SELECT c.min_step FROM tracking.metric_chunks c WHERE c.run_uuid = $1 AND c.key = $2 AND c.min_step > b.m ORDER BY c.min_step LIMIT 1) AS s
    FROM bound b
  ),
  chosen AS (
    SELECT c.chunk_id, c.steps, c.timestamps, c.metric_values, c.is_nans, c.model_ids, c.dataset_names, c.dataset_digests
    FROM series, tracking.metric_chunks c
    WHERE c.run_uuid = $1 AND c.key = $2 AND c.min_step BETWEEN tracking.chunk_floor($3::int8, series.span) AND $3::int8 AND c.max_step >= $3::int8
    UNION ALL
    SELECT c.chunk_id, c.steps, c.timestamps, c.metric_values, c.is_nans, c.model_ids, c.dataset_names, c.dataset_digests
    FROM bound b, tracking.metric_chunks c
    WHERE c.run_uuid = $1 AND c.key = $2 AND c.min_step > $3::int8 AND c.min_step <= coalesce(b.m, 9223372036854775807)
  ),
  page AS (
    -- The optional text arrays are empty in most chunks: read by position where they are not,
    -- rather than unnested with every chunk.
    SELECT c.chunk_id * 1024 + u.ord - 1 AS id, u.value, u.timestamp, u.step, u.is_nan,
           CASE WHEN cardinality(c.model_ids) > 0 THEN c.model_ids[u.ord] END AS model_id,
           CASE WHEN cardinality(c.dataset_names) > 0 THEN c.dataset_names[u.ord] END AS dataset_name,
           CASE WHEN cardinality(c.dataset_digests) > 0 THEN c.dataset_digests[u.ord] END AS dataset_digest
    FROM stop, chosen c
    CROSS JOIN LATERAL unnest(c.steps, c.timestamps, c.metric_values, c.is_nans) WITH ORDINALITY AS u(step, timestamp, value, is_nan, ord)
    WHERE (u.step, u.timestamp, c.chunk_id * 1024 + u.ord - 1) > ($3::int8, $4::int8, $5::int8)
      AND (stop.s IS NULL OR u.step < stop.s)
    ORDER BY u.step, u.timestamp, id
    LIMIT $6
  )`;

/** One page of a metric's history in keyset order (step, timestamp, id); see HISTORY_PAGE. */
export const SELECT_METRIC_HISTORY_PAGE = `${HISTORY_PAGE}
  SELECT id, $2::text AS key, value, timestamp, step, is_nan, model_id, dataset_name, dataset_digest, (SELECT s IS NOT NULL FROM stop) AS cut
  FROM page ORDER BY step, timestamp, id`;

/**
 * The same page rendered as MLflow wire JSON by Postgres itself (`{"key":…,"value":…}` joined by
 * commas; NaN as "NaN", ±Infinity as strings, absent fields omitted), with the cursor of its last
 * row: the full-history stream never turns rows into JS objects.
 */
export const SELECT_METRIC_HISTORY_JSON_PAGE = `${HISTORY_PAGE}
  -- Costs per 20k-point page, measured: to_json() per column and a second sort for the ordered
  -- aggregate made it 65 ms; the key is one value for the whole page, so the caller passes it
  -- rendered ($7), the value goes through float8's own output (shortest round-trip text since
  -- Postgres 12, the same digits to_json prints) and the rows are aggregated in the order the
  -- page produced them (a plain aggregate over a sorted subquery keeps that order).
  SELECT string_agg(
           $7::text
           || CASE WHEN is_nan THEN '"NaN"'
                   WHEN value = 'Infinity'::float8 THEN '"Infinity"'
                   WHEN value = '-Infinity'::float8 THEN '"-Infinity"'
                   ELSE value::text END
           || ',"timestamp":' || timestamp
           || ',"step":' || step
           || CASE WHEN dataset_name IS NULL AND dataset_digest IS NULL AND model_id IS NULL THEN '}'
                   ELSE coalesce(',"dataset_name":' || to_json(dataset_name)::text, '')
                        || coalesce(',"dataset_digest":' || to_json(dataset_digest)::text, '')
                        || coalesce(',"model_id":' || to_json(model_id)::text, '')
                        || '}' END,
           ',') AS json,
         count(*)::int AS n,
         -- int8 arrays compare element by element: the greatest is the page's last (step, timestamp, id).
         max(ARRAY[step, timestamp, id])::text[] AS last,
         -- the page stopped before a chunk it did not read: more points follow even if it is short
         (SELECT s IS NOT NULL FROM stop) AS cut
  FROM page`;

/**
 * Chunks of a series in (min_step, chunk_id) order after a keyset cursor, each column already
 * text (`array_to_string` runs float8out/int8out over a whole array, ~4x cheaper per point than
 * rendering a row per point): the full-history stream interleaves them into wire JSON while the
 * chunks do not overlap (see `chunkedHistoryJson`). NaN positions and the optional text arrays
 * come only for the chunks that have them.
 * `cursorChanged`: the cursor's chunk ($4, read with $6 points) is gone or grew — a compaction
 * (ADR 0016) merged it since, and keyset reads could skip what it took in. Always one row at
 * least: the flag alone when no chunk follows.
 */
export const SELECT_METRIC_CHUNKS_AS_TEXT = `
  -- Columns named as the ChunkText fields, so rows are used as they come.
  SELECT x."cursorChanged", c.*
  FROM (SELECT $4::int8 <> 0 AND NOT EXISTS (SELECT 1 FROM tracking.metric_chunks k WHERE k.chunk_id = $4::int8 AND k.points = $6::int) AS "cursorChanged") x
  LEFT JOIN LATERAL (
    SELECT c.chunk_id::text AS "chunkId", c.min_step::text AS "minStep", c.max_step::text AS "maxStep", c.points,
           c.timestamps[c.points]::text AS "lastTimestamp",
           array_to_string(c.steps, ',') AS steps,
           array_to_string(c.timestamps, ',') AS timestamps,
           array_to_string(c.metric_values, ',') AS "metricValues",
           CASE WHEN true = ANY(c.is_nans) THEN array_positions(c.is_nans, true) END AS "nanPositions",
           CASE WHEN cardinality(c.model_ids) > 0 THEN to_json(c.model_ids) END AS "modelIds",
           CASE WHEN cardinality(c.dataset_names) > 0 THEN to_json(c.dataset_names) END AS "datasetNames",
           CASE WHEN cardinality(c.dataset_digests) > 0 THEN to_json(c.dataset_digests) END AS "datasetDigests"
    FROM tracking.metric_chunks c
    WHERE c.run_uuid = $1 AND c.key = $2 AND (c.min_step, c.chunk_id) > ($3::int8, $4::int8)
    ORDER BY c.min_step, c.chunk_id
    LIMIT $5
  ) c ON true`;

// A chunk's steps are sorted, so `width_bucket(x, steps)` (a binary search: how many steps are
// <= x) finds a step inside a chunk without unnesting it. (`greatest(t, int8 min + 1) - 1`: a
// constant t - 1 would be folded, and overflow, before the WHERE that rules t = int8 min out.)

/** The first step at or after `t` in a series ($2 is the key): the next chunk's first step, or a step inside a chunk that straddles `t`. */
const firstStepAtOrAfter = (run: string, span: string, t: string) => `least(
      (SELECT c.min_step FROM tracking.metric_chunks c WHERE c.run_uuid = ${run} AND c.key = $2 AND c.min_step >= ${t} ORDER BY c.min_step LIMIT 1),
      (SELECT min(c.steps[width_bucket(greatest(${t}, -9223372036854775807) - 1, c.steps) + 1]) FROM tracking.metric_chunks c
       WHERE c.run_uuid = ${run} AND c.key = $2 AND c.min_step >= tracking.chunk_floor(${t}, ${span}) AND c.min_step < ${t} AND c.max_step >= ${t}))`;

/**
 * The last step at or before `t` in a series: over the chunks beginning by then (an index-only
 * range), a chunk's max_step, or for one that straddles `t` its last step at or before it.
 */
const lastStepAtOrBefore = (run: string, t: string) => `(
      SELECT max(CASE WHEN c.max_step <= ${t} THEN c.max_step ELSE c.steps[width_bucket(${t}, c.steps)] END)
      FROM tracking.metric_chunks c WHERE c.run_uuid = ${run} AND c.key = $2 AND c.min_step <= ${t})`;

/**
 * Steps to show in a downsampled chart (MLflow `get_metric_history_bulk_interval`): per run, the
 * first step at or after each of `$5` evenly spaced points between its first and last step in
 * [$3, $4] (so both ends are always in). Index probes and binary searches in single chunks only:
 * never reads the whole series. `bounds` is materialized so each run's ends are found once.
 */
export const SELECT_SAMPLED_METRIC_STEPS = `
  WITH bounds AS MATERIALIZED (
    SELECT l.run_uuid, l.max_chunk_span AS span,
           ${firstStepAtOrAfter('l.run_uuid', 'l.max_chunk_span', '$3::int8')} AS lo,
           -- the latest point has the series' greatest step
           CASE WHEN $4::int8 >= l.step THEN l.step ELSE ${lastStepAtOrBefore('l.run_uuid', '$4::int8')} END AS hi
    FROM tracking.latest_metrics l
    WHERE l.run_uuid = ANY($1::text[]) AND l.key = $2
  )
  SELECT DISTINCT x.step
  FROM bounds b
  CROSS JOIN LATERAL generate_series(0, $5::int - 1) AS g(i)
  CROSS JOIN LATERAL (SELECT ${firstStepAtOrAfter('b.run_uuid', 'b.span', 'b.lo + ((b.hi - b.lo) * g.i) / greatest($5::int - 1, 1)')} AS step OFFSET 0) AS x
  WHERE b.lo IS NOT NULL AND b.lo <= b.hi AND x.step <= b.hi
  ORDER BY x.step`;

/**
 * Every point of the runs at the given steps: per (run, step) the chunks that can contain the
 * step, and in each the positions holding it (found by binary search, not by unnesting the chunk).
 */
export const SELECT_METRIC_POINTS_AT_STEPS = `
  SELECT c.run_uuid, c.key, c.metric_values[i] AS value, c.timestamps[i] AS timestamp, c.steps[i] AS step, c.is_nans[i] AS is_nan
  FROM tracking.latest_metrics l
  CROSS JOIN unnest($3::int8[]) AS s(step)
  CROSS JOIN LATERAL (
    SELECT c.chunk_id, c.run_uuid, c.key, c.steps, c.timestamps, c.metric_values, c.is_nans
    FROM tracking.metric_chunks c
    WHERE c.run_uuid = l.run_uuid AND c.key = l.key
      AND c.min_step BETWEEN tracking.chunk_floor(s.step, l.max_chunk_span) AND s.step AND c.max_step >= s.step
    OFFSET 0 -- planned on its own, so the run, key and step range are its index condition
  ) c
  CROSS JOIN LATERAL generate_series(
    CASE WHEN s.step = -9223372036854775808 THEN 1 ELSE width_bucket(s.step - 1, c.steps) + 1 END,
    width_bucket(s.step, c.steps)) AS i
  WHERE l.run_uuid = ANY($1::text[]) AND l.key = $2
  ORDER BY c.run_uuid, step, timestamp, c.chunk_id, i`;

export const SELECT_LOGGED_MODELS_BY_IDS = `
  SELECT model_id, experiment_id::text AS experiment_id, name, artifact_location, creation_timestamp_ms, last_updated_timestamp_ms,
         status, lifecycle_stage, model_type, source_run_id, status_message
  FROM tracking.logged_models WHERE model_id = ANY($1::text[])`;

export const SELECT_LOGGED_MODEL_TAGS = `SELECT model_id, key, value FROM tracking.logged_model_tags WHERE model_id = ANY($1::text[]) ORDER BY key`;
export const SELECT_LOGGED_MODEL_PARAMS = `SELECT model_id, key, value FROM tracking.logged_model_params WHERE model_id = ANY($1::text[]) ORDER BY key`;
export const SELECT_LOGGED_MODEL_METRICS = `
  SELECT model_id, run_uuid, key, value, timestamp, step, is_nan, dataset_name, dataset_digest
  FROM tracking.logged_model_metrics WHERE model_id = ANY($1::text[]) ORDER BY key, step, timestamp`;

// ---- run lifecycle: heartbeats, the orphan reaper, garbage collection (issue 7) ------------------

/**
 * A heartbeat: a column update, not an event (they come every ~30 s per run). Monotonic, so a late
 * heartbeat cannot move last activity back.
 */
export const RECORD_HEARTBEAT = `
  UPDATE tracking.runs SET last_activity_ms = greatest(coalesce(last_activity_ms, 0), $2)
  WHERE run_uuid = $1
  RETURNING status`;

/** RUNNING runs silent since `$1` (read without locks; the reap command re-checks under the row lock). */
export const SELECT_ORPHAN_CANDIDATES = `
  SELECT run_uuid FROM tracking.runs
  WHERE status = 'RUNNING' AND lifecycle_stage = 'active' AND coalesce(last_activity_ms, start_time, 0) <= $1
  ORDER BY coalesce(last_activity_ms, start_time, 0), run_uuid
  LIMIT $2`;

/** Deleted runs whose retention ended at `$1`, oldest deletion first. */
export const SELECT_GC_RUN_CANDIDATES = `
  SELECT run_uuid FROM tracking.runs
  WHERE lifecycle_stage = 'deleted' AND deleted_time <= $1
  ORDER BY deleted_time, run_uuid
  LIMIT $2`;

export const SELECT_GC_EXPERIMENT_CANDIDATES = `
  SELECT experiment_id::text AS experiment_id FROM tracking.experiments
  WHERE lifecycle_stage = 'deleted' AND deleted_time <= $1 AND experiment_id <> 0
  ORDER BY deleted_time, experiment_id
  LIMIT $2`;

/** Runs still in an experiment, with what GC needs to say why each one is not purged. */
export const SELECT_RUNS_LEFT_IN_EXPERIMENT = `
  SELECT run_uuid, lifecycle_stage, deleted_time FROM tracking.runs WHERE experiment_id = $1 ORDER BY run_uuid LIMIT $2`;

export const SELECT_RUN_REFERENCES = `
  SELECT run_id, name, version FROM tracking.run_references WHERE run_id = ANY($1::text[]) ORDER BY run_id, name, version`;

/**
 * The registry consumer takes the runs it records references to FOR SHARE, so it serializes with a
 * purge of the same run (FOR UPDATE): either the purge sees the reference, or the run is gone first.
 */
export const LOCK_RUNS_SHARE = `SELECT run_uuid FROM tracking.runs WHERE run_uuid = ANY($1::text[]) ORDER BY run_uuid FOR SHARE`;

export const INSERT_RUN_REFERENCES = `
  INSERT INTO tracking.run_references (registered_model_id, version, run_id, name)
  SELECT $1, $2, r.run_id, $3 FROM unnest($4::text[]) AS r(run_id)
  ORDER BY r.run_id
  ON CONFLICT (registered_model_id, version, run_id) DO UPDATE SET name = excluded.name`;

export const DELETE_VERSION_REFERENCES = `DELETE FROM tracking.run_references WHERE registered_model_id = $1 AND version = $2`;
export const DELETE_MODEL_REFERENCES = `DELETE FROM tracking.run_references WHERE registered_model_id = $1`;
export const RENAME_MODEL_REFERENCES = `UPDATE tracking.run_references SET name = $2 WHERE registered_model_id = $1`;

export const SELECT_LOGGED_MODEL_SOURCE_RUN = `SELECT source_run_id FROM tracking.logged_models WHERE model_id = $1`;
