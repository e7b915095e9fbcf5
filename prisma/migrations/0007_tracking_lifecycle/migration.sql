-- Run lifecycle (issue 7): runs that cannot be orphaned, soft-delete retention, garbage collection.

-- Last heartbeat or write to the run, in server time (ms). Operational state, not an event: heartbeats
-- come every ~30 s per run. Runs already RUNNING get a full orphan timeout from the upgrade on, since
-- nothing recorded their activity before; the reaper falls back to start_time when it is NULL.
ALTER TABLE tracking.runs ADD COLUMN last_activity_ms bigint;
UPDATE tracking.runs SET last_activity_ms = (extract(epoch FROM now()) * 1000)::bigint WHERE status = 'RUNNING';
-- The reaper's scan (RUNNING and silent) and GC's (deleted and past retention) stay index-only.
CREATE INDEX runs_running_last_activity ON tracking.runs ((coalesce(last_activity_ms, start_time, 0)))
  WHERE status = 'RUNNING' AND lifecycle_stage = 'active';
CREATE INDEX runs_deleted_time ON tracking.runs (deleted_time) WHERE lifecycle_stage = 'deleted';

-- When an experiment was deleted (runs already had deleted_time); cleared on restore. Experiments
-- deleted before this migration were last updated by their deletion.
ALTER TABLE tracking.experiments ADD COLUMN deleted_time bigint;
UPDATE tracking.experiments SET deleted_time = last_update_time WHERE lifecycle_stage = 'deleted';

-- Runs that live registered model versions reference, learnt from registry events (consumer
-- tracking.registry-references): garbage collection never purges them.
CREATE TABLE tracking.run_references (
  registered_model_id text NOT NULL,  -- the registry's stable model id (renames keep it)
  version             text NOT NULL,
  run_id              text NOT NULL,
  name                text NOT NULL,  -- the model's current name, for GC's report
  PRIMARY KEY (registered_model_id, version, run_id)
);
CREATE INDEX run_references_run ON tracking.run_references (run_id);
