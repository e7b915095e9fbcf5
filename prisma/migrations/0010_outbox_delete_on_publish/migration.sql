-- Outbox rows are deleted once published instead of being marked sent and kept forever.
--
-- The outbox is a queue, not a record: the event itself stays in `events` (append-only), and a
-- consumer's inbox remembers what it applied. Marking a row sent was an UPDATE per event (a new row
-- version, and index entries for it) and left the table growing by one row per event with nothing
-- ever pruning it. A DELETE after publishing leaves only the backlog in the table, so the primary
-- key serves the relay's ordered read and the partial index on unsent rows has no purpose.
DO $$
DECLARE
  ctx text;
BEGIN
  FOREACH ctx IN ARRAY ARRAY['tracking', 'artifacts', 'registry', 'webhooks'] LOOP
    EXECUTE format('DELETE FROM %I.outbox WHERE sent_at IS NOT NULL', ctx);
    EXECUTE format('DROP INDEX %I.outbox_unsent', ctx);
    EXECUTE format('ALTER TABLE %I.outbox DROP COLUMN sent_at', ctx);
  END LOOP;
END
$$;
