-- Operators replay or discard dead letters (cairn dead-letters, /api/2.0/cairn/admin/dead-letters).
-- A discarded letter is kept, with who discarded it and why, so the decision can be audited; a
-- replay that fails again records when it was tried (the reason and attempts are updated in place).
-- Nullable columns without defaults: a metadata-only change, and older releases never read them.
ALTER TABLE tracking.dead_letters
  ADD COLUMN discarded_at     timestamptz,
  ADD COLUMN discarded_by     text,
  ADD COLUMN discard_reason   text,
  ADD COLUMN last_replayed_at timestamptz;
ALTER TABLE artifacts.dead_letters
  ADD COLUMN discarded_at     timestamptz,
  ADD COLUMN discarded_by     text,
  ADD COLUMN discard_reason   text,
  ADD COLUMN last_replayed_at timestamptz;
ALTER TABLE registry.dead_letters
  ADD COLUMN discarded_at     timestamptz,
  ADD COLUMN discarded_by     text,
  ADD COLUMN discard_reason   text,
  ADD COLUMN last_replayed_at timestamptz;
ALTER TABLE webhooks.dead_letters
  ADD COLUMN discarded_at     timestamptz,
  ADD COLUMN discarded_by     text,
  ADD COLUMN discard_reason   text,
  ADD COLUMN last_replayed_at timestamptz;
