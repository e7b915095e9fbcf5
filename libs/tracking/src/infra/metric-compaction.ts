import type { Database } from '@cairn/platform';

/** A chunk with fewer points than this is worth merging (log-metric writes one-point chunks). */
export const SMALL_CHUNK_POINTS = 32;
/** A merged chunk stops growing once it holds this many points (ADR 0005's chunk size). */
export const COMPACTED_CHUNK_POINTS = 200;

/**
 * Series with small chunks, oldest small chunk first, after a chunk id (the job's watermark): an
 * index-only scan of `metric_chunks_small` (0019), never the table.
 */
const SERIES_WITH_SMALL_CHUNKS = `
  SELECT run_uuid, key, max(chunk_id)::text AS last_chunk_id, count(*)::int AS small
  FROM (SELECT chunk_id, run_uuid, key FROM tracking.metric_chunks
        WHERE points < ${SMALL_CHUNK_POINTS} AND chunk_id > $1::int8 ORDER BY chunk_id LIMIT $2) s
  GROUP BY run_uuid, key`;

/** The series' latest_metrics row, locked as the projection's upsert locks it: no write of the series interleaves. */
const LOCK_SERIES = `SELECT 1 FROM tracking.latest_metrics WHERE run_uuid = $1 AND key = $2 FOR UPDATE`;

/**
 * Merges runs of small chunks of one series ($1 run, $2 key), at most $3 merged chunks per call.
 *
 * `cluster`: chunks whose steps overlap, transitively (a new one starts where a chunk begins after
 * every step before it). No point outside a cluster ties with one inside on (step, timestamp), so
 * merging whole clusters keeps the history's order exactly. A cluster with a small chunk, at most
 * COMPACTED_CHUNK_POINTS in all, is a candidate (chunks logged out of order, or a merged chunk that
 * later points fall inside, overlap: they merge together); `run` numbers the stretches of candidate clusters (any other
 * chunk ends one), `part` splits a stretch every COMPACTED_CHUNK_POINTS points at cluster bounds.
 * The merged points, sorted by (step, timestamp, chunk_id, index) — their order before — go into
 * the row of the group's lowest chunk id, so point ids (chunk_id * 1024 + index) do not grow for a
 * series logged in step order; the other rows are deleted, and the series' widest span widened.
 */
const COMPACT_SERIES = `
  WITH ordered AS (
    SELECT chunk_id, min_step, max_step, points,
           max(max_step) OVER (ORDER BY min_step, chunk_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_max
    FROM tracking.metric_chunks WHERE run_uuid = $1 AND key = $2
  ),
  clustered AS (
    SELECT *, count(*) FILTER (WHERE prev_max IS NULL OR prev_max < min_step) OVER (ORDER BY min_step, chunk_id) AS cluster
    FROM ordered
  ),
  flagged AS (
    SELECT *, bool_or(points < ${SMALL_CHUNK_POINTS}) OVER (PARTITION BY cluster) AND sum(points) OVER (PARTITION BY cluster) <= ${COMPACTED_CHUNK_POINTS} AS candidate
    FROM clustered
  ),
  runs AS (
    SELECT *, count(*) FILTER (WHERE NOT candidate) OVER (ORDER BY min_step, chunk_id) AS run,
           coalesce(sum(points) FILTER (WHERE candidate) OVER (ORDER BY min_step, chunk_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
    FROM flagged
  ),
  grouped AS (
    SELECT chunk_id, run, (min(before) OVER (PARTITION BY cluster) - min(before) OVER (PARTITION BY run)) / ${COMPACTED_CHUNK_POINTS} AS part
    FROM runs WHERE candidate
  ),
  groups AS (
    SELECT run, part, min(chunk_id) AS keep FROM grouped GROUP BY run, part HAVING count(*) > 1 ORDER BY min(chunk_id) LIMIT $3
  ),
  members AS (SELECT g.chunk_id, s.keep FROM grouped g JOIN groups s USING (run, part)),
  merged AS (
    SELECT m.keep, min(u.step) AS min_step, max(u.step) AS max_step, count(*)::int AS points,
           array_agg(u.step ORDER BY u.step, u.timestamp, c.chunk_id, u.i) AS steps,
           array_agg(u.timestamp ORDER BY u.step, u.timestamp, c.chunk_id, u.i) AS timestamps,
           array_agg(u.value ORDER BY u.step, u.timestamp, c.chunk_id, u.i) AS metric_values,
           array_agg(u.is_nan ORDER BY u.step, u.timestamp, c.chunk_id, u.i) AS is_nans,
           CASE WHEN bool_or(u.model_id IS NOT NULL) THEN array_agg(u.model_id ORDER BY u.step, u.timestamp, c.chunk_id, u.i) ELSE '{}' END AS model_ids,
           CASE WHEN bool_or(u.dataset_name IS NOT NULL) THEN array_agg(u.dataset_name ORDER BY u.step, u.timestamp, c.chunk_id, u.i) ELSE '{}' END AS dataset_names,
           CASE WHEN bool_or(u.dataset_digest IS NOT NULL) THEN array_agg(u.dataset_digest ORDER BY u.step, u.timestamp, c.chunk_id, u.i) ELSE '{}' END AS dataset_digests
    FROM members m
    JOIN tracking.metric_chunks c ON c.chunk_id = m.chunk_id
    -- Arrays a chunk leaves empty (no point has a model id) unnest as NULLs beside the others.
    CROSS JOIN LATERAL unnest(c.steps, c.timestamps, c.metric_values, c.is_nans, c.model_ids, c.dataset_names, c.dataset_digests) WITH ORDINALITY
      AS u(step, timestamp, value, is_nan, model_id, dataset_name, dataset_digest, i)
    GROUP BY m.keep
  ),
  rewritten AS (
    UPDATE tracking.metric_chunks t
    SET min_step = m.min_step, max_step = m.max_step, points = m.points, steps = m.steps, timestamps = m.timestamps,
        metric_values = m.metric_values, is_nans = m.is_nans, model_ids = m.model_ids, dataset_names = m.dataset_names, dataset_digests = m.dataset_digests
    FROM merged m WHERE t.chunk_id = m.keep
    RETURNING tracking.chunk_span(t.min_step, t.max_step) AS span
  ),
  removed AS (
    DELETE FROM tracking.metric_chunks t USING members m WHERE t.chunk_id = m.chunk_id AND t.chunk_id <> m.keep
    RETURNING 1
  ),
  widened AS (
    UPDATE tracking.latest_metrics l SET max_chunk_span = (SELECT max(span) FROM rewritten)
    WHERE l.run_uuid = $1 AND l.key = $2 AND l.max_chunk_span < (SELECT max(span) FROM rewritten)
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM rewritten)::int AS merged, (SELECT count(*) FROM removed)::int AS removed, (SELECT count(*) FROM widened)::int AS widened`;

export interface CompactionReport {
  /** Chunks written by merging. */
  merged: number;
  /** Chunks merged away (rows deleted). */
  removed: number;
}

/**
 * Merges one series' runs of small chunks (ADR 0016), at most `maxChunks` merged chunks in one
 * transaction, under the series' latest_metrics row lock. History reads the same before and after.
 */
export async function compactSeries(db: Database, runId: string, key: string, maxChunks = 64): Promise<CompactionReport> {
  return db.transaction(async (uow) => {
    const { rows: locked } = await uow.query(LOCK_SERIES, [runId, key]);
    if (locked.length === 0) return { merged: 0, removed: 0 }; // purged meanwhile
    const { rows } = await uow.query<{ merged: number; removed: number }>(COMPACT_SERIES, [runId, key, maxChunks]);
    return { merged: rows[0]?.merged ?? 0, removed: rows[0]?.removed ?? 0 };
  });
}

/**
 * Walks the small chunks in chunk id order, a batch per call, compacting each series met. A
 * chunk that cannot merge (a lone point, one overlapping another chunk) is passed by: the
 * watermark moves past it, and comes back to the start once the end is reached.
 */
export class MetricChunkCompaction {
  private watermark = '0';

  constructor(
    private readonly db: Database,
    private readonly batchSize = 2_000,
  ) {}

  /** One batch; `more` when the batch was full (call again soon) rather than the end of the table. */
  async pass(): Promise<CompactionReport & { more: boolean }> {
    const { rows } = await this.db.query<{ run_uuid: string; key: string; last_chunk_id: string; small: number }>(SERIES_WITH_SMALL_CHUNKS, [
      this.watermark,
      this.batchSize,
    ]);
    const report = { merged: 0, removed: 0 };
    for (const series of rows) {
      const done = await compactSeries(this.db, series.run_uuid, series.key);
      report.merged += done.merged;
      report.removed += done.removed;
    }
    const more = rows.reduce((sum, row) => sum + row.small, 0) >= this.batchSize;
    this.watermark = more ? rows.reduce((max, row) => (BigInt(row.last_chunk_id) > max ? BigInt(row.last_chunk_id) : max), 0n).toString() : '0';
    return { ...report, more };
  }
}
