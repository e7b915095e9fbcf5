-- The registry's projection of tracking runs (lineage, champion/challenger), fed by tracking events.
-- One row per run; maps are jsonb because the registry reads them whole, never by key in SQL.
CREATE TABLE registry.run_summaries (
  run_id          text        PRIMARY KEY,
  experiment_id   text        NOT NULL,
  name            text        NOT NULL,
  status          text        NOT NULL,
  lifecycle_stage text        NOT NULL,
  start_time      bigint      NOT NULL,
  end_time        bigint,
  artifact_uri    text        NOT NULL,
  params          jsonb       NOT NULL DEFAULT '{}'::jsonb,
  tags            jsonb       NOT NULL DEFAULT '{}'::jsonb,
  metrics         jsonb       NOT NULL DEFAULT '{}'::jsonb,
  datasets        jsonb       NOT NULL DEFAULT '[]'::jsonb,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
