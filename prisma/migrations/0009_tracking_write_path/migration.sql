-- The tracking write path (issue 3 performance). First: event payloads are stored as json text, uncompressed.
--
-- A MetricsLogged event of a 1000-point log-batch is ~90 KB of JSON. As jsonb it was parsed into
-- jsonb's binary form, pglz-compressed into TOAST on append, then decompressed and printed back to
-- text when the outbox relay read it: measured on this project's Postgres, 4.8 ms to store and 1.3 ms
-- to read per event, about 6 µs of database CPU per point, a third of everything ingest cost the
-- database. As json with EXTERNAL storage (out of line, no compression) the same is 1.0 ms + 0.5 ms.
-- The price is disk: ~90 bytes per point of event log instead of ~25 (pglz; lz4 is not built into
-- every Postgres we run on). Nothing queries inside tracking's payloads (json keeps the ->> operators
-- anyway), and `pg` parses json and jsonb columns alike, so readers see the same objects.
ALTER TABLE tracking.events ALTER COLUMN data TYPE json USING data::json;
ALTER TABLE tracking.events ALTER COLUMN data SET STORAGE EXTERNAL;

-- Second: runs no longer keep a copy of their stream's version. Every writer of a run holds the run's
-- row lock from deciding to committing, so writers are serialized already, and the event store
-- numbers a run's events after the stored ones; bumping the copy cost every write an UPDATE of the
-- run's row. (last_activity_ms is now refreshed at most once a second per run.)
ALTER TABLE tracking.runs DROP COLUMN version;
