-- A metric's history stored in chunks: one row per (request, key) — per 200 points of it — holding
-- that request's points as parallel arrays, instead of one row per point.
--
-- Why: with a row per point, Postgres spent ~8.5 µs per point on the heap tuple, the id sequence
-- and two index entries (its primary key and (run, key, step, timestamp)) — most of an ingest
-- request's database time (ADR 0005). A 1000-point log-batch over 10 keys now writes 10 rows.
--
-- Reading: a chunk's points are sorted by (step, timestamp, value, is_nan); chunks are found by
-- (run_uuid, key, min_step). A point's position in the history is (step, timestamp, id) with
-- id = chunk_id * 1024 + its index in the chunk, so ties keep the order points were logged in
-- (a chunk holds at most 1024 points; a request at most 1000).
--
-- Chunks of one series may overlap in steps (out-of-order logging, concurrent writers). To find
-- the chunks containing a step without reading every earlier chunk, latest_metrics keeps the
-- widest chunk span (max_step - min_step) of its series: a chunk containing step s has its
-- min_step in [s - span, s].
CREATE TABLE tracking.metric_chunks (
  chunk_id        bigserial          PRIMARY KEY,
  run_uuid        text               NOT NULL,
  key             text               NOT NULL,
  min_step        bigint             NOT NULL,
  max_step        bigint             NOT NULL,
  points          integer            NOT NULL CHECK (points BETWEEN 1 AND 1024),
  steps           bigint[]           NOT NULL,
  timestamps      bigint[]           NOT NULL,
  metric_values   double precision[] NOT NULL,  -- NaN stored as 0 with is_nans (as MLflow's SQL store)
  is_nans         boolean[]          NOT NULL,
  model_ids       text[]             NOT NULL DEFAULT '{}',  -- empty when no point of the chunk has one
  dataset_names   text[]             NOT NULL DEFAULT '{}',
  dataset_digests text[]             NOT NULL DEFAULT '{}'
);
-- A chunk holds at most 200 points (the projection splits larger groups), ~5 KB: below this target
-- rows are stored inline and uncompressed, so reading a step out of a chunk never detoasts it (an
-- out-of-line 1000-point array cost ~0.1 ms per access) and writing one never runs pglz.
ALTER TABLE tracking.metric_chunks SET (toast_tuple_target = 8160);
CREATE INDEX metric_chunks_series ON tracking.metric_chunks (run_uuid, key, min_step, chunk_id) INCLUDE (max_step, points);

ALTER TABLE tracking.latest_metrics ADD COLUMN max_chunk_span bigint NOT NULL DEFAULT 0;

-- max_step - min_step without int8 overflow (steps are any int64): clamped, still a valid bound.
CREATE FUNCTION tracking.chunk_span(min_step bigint, max_step bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN least(max_step::numeric - min_step, 9223372036854775807)::bigint;

-- The lowest min_step a chunk containing `step` can have: step - span, clamped at the int8 minimum.
CREATE FUNCTION tracking.chunk_floor(step bigint, span bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN step::numeric - span < -9223372036854775808 THEN (-9223372036854775808)::bigint ELSE step - span END;

-- Existing history, 200 points per chunk in (step, timestamp, id) order.
INSERT INTO tracking.metric_chunks (run_uuid, key, min_step, max_step, points, steps, timestamps, metric_values, is_nans, model_ids, dataset_names, dataset_digests)
SELECT run_uuid, key, min(step), max(step), count(*)::int,
       array_agg(step ORDER BY step, timestamp, id),
       array_agg(timestamp ORDER BY step, timestamp, id),
       array_agg(value ORDER BY step, timestamp, id),
       array_agg(is_nan ORDER BY step, timestamp, id),
       CASE WHEN bool_or(model_id IS NOT NULL) THEN array_agg(model_id ORDER BY step, timestamp, id) ELSE '{}' END,
       CASE WHEN bool_or(dataset_name IS NOT NULL) THEN array_agg(dataset_name ORDER BY step, timestamp, id) ELSE '{}' END,
       CASE WHEN bool_or(dataset_digest IS NOT NULL) THEN array_agg(dataset_digest ORDER BY step, timestamp, id) ELSE '{}' END
FROM (
  SELECT m.*, (row_number() OVER (PARTITION BY run_uuid, key ORDER BY step, timestamp, id) - 1) / 200 AS bucket
  FROM tracking.metrics m
) numbered
GROUP BY run_uuid, key, bucket
ORDER BY run_uuid, key, bucket;

UPDATE tracking.latest_metrics l
SET max_chunk_span = c.span
FROM (SELECT run_uuid, key, max(tracking.chunk_span(min_step, max_step)) AS span FROM tracking.metric_chunks GROUP BY run_uuid, key) c
WHERE l.run_uuid = c.run_uuid AND l.key = c.key;

DROP TABLE tracking.metrics;
