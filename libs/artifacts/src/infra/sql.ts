/**
 * The artifacts context's SQL, as named constants readable as SQL. Paths use collation "C" so that
 * `LIKE 'prefix%'` scans use the primary key; callers escape LIKE metacharacters (likePrefix).
 */

import { mayReferenceRunSql } from '@cairn/contracts';

/** Serialises writers of one owner (run / logged model): its events stay in order without retries. */
export const LOCK_OWNER = `SELECT pg_advisory_xact_lock(hashtextextended('artifacts:' || $1, 0))`;

/**
 * The same lock for each of several owners (a batch of uploads), taken in the order of the lock
 * keys: two batches sharing owners queue behind each other instead of deadlocking, and a writer
 * holding one owner's lock is waited for as by LOCK_OWNER.
 */
export const LOCK_OWNERS = `
SELECT count(pg_advisory_xact_lock(k.key)) FROM (
  SELECT DISTINCT hashtextextended('artifacts:' || o, 0) AS key FROM unnest($1::text[]) AS o ORDER BY 1) k`;

/**
 * A batch of uploads' owner locks without waiting for any (ADR 0018): the owners whose lock another
 * transaction holds (a long delete, a run's collection) come back in `busy`, and their uploads
 * are recorded alone, waiting with LOCK_OWNERS, so one locked run does not stall every other run's
 * uploads queued behind the batch. Non-blocking attempts need no order.
 */
export const TRY_LOCK_OWNERS = `
SELECT coalesce(array_agg(o) FILTER (WHERE NOT pg_try_advisory_xact_lock(hashtextextended('artifacts:' || o, 0))), '{}') AS busy
FROM unnest($1::text[]) AS o`;

/** Drops references (one per listed digest occurrence); returns the digests left unreferenced. */
export const RELEASE_REFERENCES = `
UPDATE artifacts.objects o SET ref_count = o.ref_count - d.n
FROM (SELECT digest, count(*)::int AS n FROM unnest($1::text[]) AS digest GROUP BY digest) d
WHERE o.digest = d.digest
RETURNING o.digest, o.ref_count`;

export const DELETE_UNREFERENCED = `
DELETE FROM artifacts.objects WHERE digest = ANY($1::text[]) AND ref_count = 0 RETURNING storage_key`;

export const ENQUEUE_GARBAGE = `
INSERT INTO artifacts.blob_garbage (storage_key) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`;

export const CLAIM_GARBAGE = `
SELECT storage_key FROM artifacts.blob_garbage ORDER BY enqueued_at LIMIT $1 FOR UPDATE SKIP LOCKED`;

export const REMOVE_GARBAGE = `DELETE FROM artifacts.blob_garbage WHERE storage_key = ANY($1::text[])`;

/** Which of these blob keys some content row or pending deletion still knows. */
export const KNOWN_STORAGE_KEYS = `
SELECT storage_key FROM artifacts.objects WHERE storage_key = ANY($1::text[])
UNION ALL
SELECT storage_key FROM artifacts.blob_garbage WHERE storage_key = ANY($1::text[])`;

/**
 * An upload's index writes in one statement (one round trip, under the owner's lock): one more
 * reference to the content (its blob this upload's if the content is new, else that blob is queued
 * as garbage), and the file pointed at the content. Returns whether the content was new and the
 * content the file pointed at before, if any. $1 digest, $2 storage key, $3 size, $4 path,
 * $5 owner kind, $6 owner id, $7 experiment id, $8 relative path, $9 when (the event's time, so a
 * replay stamps the same). (The owner lock makes the read of the previous row safe without FOR
 * UPDATE: every write to an owner's files takes it.)
 */
export const RECORD_UPLOAD = `
WITH ref AS (
  INSERT INTO artifacts.objects (digest, storage_key, size, ref_count, created_at) VALUES ($1, $2, $3, 1, $9)
  ON CONFLICT (digest) DO UPDATE SET ref_count = artifacts.objects.ref_count + 1
  RETURNING (xmax = 0) AS created),
garbage AS (
  INSERT INTO artifacts.blob_garbage (storage_key) SELECT $2 FROM ref WHERE NOT ref.created ON CONFLICT DO NOTHING),
previous AS (SELECT digest, size::float8 AS size FROM artifacts.files WHERE path = $4),
file AS (
  INSERT INTO artifacts.files (path, owner_kind, owner_id, experiment_id, relative_path, digest, size, stored_at)
  VALUES ($4, $5, $6, $7, $8, $1, $3, $9)
  ON CONFLICT (path) DO UPDATE SET digest = EXCLUDED.digest, size = EXCLUDED.size, seq = DEFAULT, stored_at = EXCLUDED.stored_at)
SELECT ref.created, previous.digest AS previous_digest, previous.size AS previous_size FROM ref LEFT JOIN previous ON true`;

/** What an upload to an experiment needs to know first, in one round trip: its quota and its retention policies. */
export const SELECT_UPLOAD_RULES = `
SELECT (SELECT max_bytes::float8 FROM artifacts.quotas WHERE experiment_id = $1) AS quota,
       coalesce((SELECT json_agg(p ORDER BY p.prefix) FROM (
         SELECT policy_id, experiment_id, prefix, keep_last, keep_best, metric_key, metric_goal
         FROM artifacts.retention_policies WHERE experiment_id = $1) p), '[]'::json) AS policies`;

const FILE_COLUMNS = `f.path, f.owner_kind, f.owner_id, f.experiment_id, f.relative_path, f.digest, f.size::float8 AS size`;

export const SELECT_FILE = `
SELECT ${FILE_COLUMNS}, o.storage_key FROM artifacts.files f JOIN artifacts.objects o USING (digest) WHERE f.path = $1`;

export const SELECT_OWNER_FILE = `
SELECT ${FILE_COLUMNS}, o.storage_key FROM artifacts.files f JOIN artifacts.objects o USING (digest)
WHERE f.owner_id = $1 AND f.relative_path = $2`;

/** Immediate children of a directory: $1 = escaped prefix with '%', $2 = length of the prefix. */
export const LIST_CHILDREN = `
SELECT split_part(substr(path, $2 + 1), '/', 1) AS name,
       bool_or(strpos(substr(path, $2 + 1), '/') > 0) AS is_dir,
       max(size::float8) FILTER (WHERE strpos(substr(path, $2 + 1), '/') = 0) AS file_size
FROM artifacts.files
WHERE path LIKE $1
GROUP BY 1
ORDER BY 1`;

// What a deletion removes is read first (under the owner lock), becomes the events, and is removed
// by their projection (DELETE_FILES), the one statement a replay runs too.
export const SELECT_FILES_UNDER = `SELECT ${FILE_COLUMNS} FROM artifacts.files f WHERE f.path = $1 OR f.path LIKE $2 ORDER BY f.path`;

export const SELECT_FILES_OF_OWNER = `SELECT ${FILE_COLUMNS} FROM artifacts.files f WHERE f.owner_id = $1 ORDER BY f.path`;

export const SELECT_OWNER_FILES_AT = `
SELECT ${FILE_COLUMNS} FROM artifacts.files f WHERE f.owner_id = $1 AND (f.relative_path = ANY($2::text[]) OR f.relative_path LIKE ANY($3::text[]))
ORDER BY f.path`;

export const DELETE_FILES = `DELETE FROM artifacts.files WHERE path = ANY($1::text[]) RETURNING digest`;

export const SELECT_OWNER_EXPERIMENTS = `SELECT DISTINCT experiment_id FROM artifacts.files WHERE owner_id = $1 AND experiment_id IS NOT NULL`;

export const SELECT_OWNER_FILES_UNDER = `
SELECT relative_path, seq::float8 AS seq FROM artifacts.files WHERE owner_id = $1 AND relative_path LIKE $2`;

/** Logical bytes (what clients uploaded) and stored bytes (distinct contents) of a scope. */
export const USAGE_OF_RUN = `
SELECT count(*)::float8 AS files, coalesce(sum(size), 0)::float8 AS logical_bytes,
       (SELECT coalesce(sum(size), 0) FROM (SELECT DISTINCT digest, size FROM artifacts.files WHERE owner_id = $1) d)::float8 AS stored_bytes
FROM artifacts.files WHERE owner_id = $1`;

export const USAGE_OF_EXPERIMENT = `
SELECT count(*)::float8 AS files, coalesce(sum(size), 0)::float8 AS logical_bytes,
       (SELECT coalesce(sum(size), 0) FROM (SELECT DISTINCT digest, size FROM artifacts.files WHERE experiment_id = $1) d)::float8 AS stored_bytes
FROM artifacts.files WHERE experiment_id = $1`;

export const SELECT_QUOTA = `SELECT max_bytes::float8 AS max_bytes FROM artifacts.quotas WHERE experiment_id = $1`;
export const UPSERT_QUOTA = `
INSERT INTO artifacts.quotas (experiment_id, max_bytes, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (experiment_id) DO UPDATE SET max_bytes = EXCLUDED.max_bytes, updated_at = EXCLUDED.updated_at`;
export const DELETE_QUOTA = `DELETE FROM artifacts.quotas WHERE experiment_id = $1`;

const POLICY_COLUMNS = `policy_id, experiment_id, prefix, keep_last, keep_best, metric_key, metric_goal`;
export const SELECT_POLICIES = `SELECT ${POLICY_COLUMNS} FROM artifacts.retention_policies WHERE experiment_id = $1 ORDER BY prefix`;
export const SELECT_POLICY = `SELECT ${POLICY_COLUMNS} FROM artifacts.retention_policies WHERE policy_id = $1`;
export const UPSERT_POLICY = `
INSERT INTO artifacts.retention_policies (${POLICY_COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (experiment_id, prefix) DO UPDATE SET keep_last = EXCLUDED.keep_last, keep_best = EXCLUDED.keep_best,
  metric_key = EXCLUDED.metric_key, metric_goal = EXCLUDED.metric_goal
RETURNING policy_id`;
export const DELETE_POLICY = `DELETE FROM artifacts.retention_policies WHERE policy_id = $1`;
export const SELECT_POLICY_METRIC_KEYS = `SELECT DISTINCT metric_key FROM artifacts.retention_policies WHERE metric_key IS NOT NULL`;

/** Last write per (run, key, step) wins, by the client's timestamp. */
export const UPSERT_RUN_METRICS = `
INSERT INTO artifacts.run_metrics (run_id, key, step, value, timestamp)
SELECT $1, m.key, m.step, m.value, m.timestamp FROM unnest($2::text[], $3::bigint[], $4::float8[], $5::bigint[]) AS m (key, step, value, timestamp)
ON CONFLICT (run_id, key, step) DO UPDATE SET value = EXCLUDED.value, timestamp = EXCLUDED.timestamp
WHERE artifacts.run_metrics.timestamp <= EXCLUDED.timestamp`;
export const SELECT_RUN_METRICS_AT = `
SELECT step::float8 AS step, value FROM artifacts.run_metrics WHERE run_id = $1 AND key = $2 AND step = ANY($3::bigint[])`;

export const UPSERT_MODEL_VERSION_REF = `
INSERT INTO artifacts.model_version_refs (model_id, version, name, source, run_id, logged_model_id) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (model_id, version) DO UPDATE SET name = EXCLUDED.name, source = EXCLUDED.source, run_id = EXCLUDED.run_id, logged_model_id = EXCLUDED.logged_model_id`;
export const DELETE_MODEL_VERSION_REF = `DELETE FROM artifacts.model_version_refs WHERE model_id = $1 AND version = $2 RETURNING run_id, source`;
export const DELETE_MODEL_REFS = `DELETE FROM artifacts.model_version_refs WHERE model_id = $1 RETURNING run_id, source`;
export const RENAME_MODEL_REFS = `UPDATE artifacts.model_version_refs SET name = $2 WHERE model_id = $1`;
export const SELECT_MODEL_VERSION_REF = `SELECT source FROM artifacts.model_version_refs WHERE name = $1 AND version = $2`;
/** Versions that may point at a run (`mayReferenceRunSql`); the repository keeps those `modelVersionReferencesRun` accepts. */
export const SELECT_REFERENCES_TO_RUN = `
SELECT r.model_id, r.name, r.version, r.run_id, r.source FROM artifacts.model_version_refs r
WHERE ${mayReferenceRunSql('r', '$1')}
ORDER BY r.name, r.version`;

export const SELECT_PURGED_RUN = `SELECT state FROM artifacts.purged_runs WHERE run_id = $1 FOR UPDATE`;
/** $3: the event's time — when the run was first seen purged, and (collected) when it was collected. */
export const UPSERT_PURGED_RUN = `
INSERT INTO artifacts.purged_runs (run_id, state, purged_at, collected_at) VALUES ($1, $2, $3, CASE WHEN $2 = 'collected' THEN $3::timestamptz END)
ON CONFLICT (run_id) DO UPDATE SET state = EXCLUDED.state, collected_at = EXCLUDED.collected_at`;

/** Escapes LIKE metacharacters (default escape `\`) and appends the wildcard. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
