-- cairn:no-transaction
-- log-metric writes one chunk per request, so a series logged point by point is a row per point
-- again (ADR 0005 sized chunks for 200). The compaction job (libs/tracking, ADR 0016) merges such
-- runs of small chunks; this index is how it finds them without reading the whole table. Small
-- chunks are what it removes, so the index stays small. The build first drops what a failed run
-- may have left invalid.
DROP INDEX CONCURRENTLY IF EXISTS tracking.metric_chunks_small;
CREATE INDEX CONCURRENTLY metric_chunks_small ON tracking.metric_chunks (chunk_id) INCLUDE (run_uuid, key) WHERE points < 32;
