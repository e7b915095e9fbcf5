-- Tracking read model (the event log itself is tracking.events from 0001_event_backbone).
-- Table and column names follow MLflow's SQL store, which is the contract @cairn/search compiles against.
CREATE SCHEMA IF NOT EXISTS tracking;

-- Experiment ids are decimal strings on the wire; "0" is the Default experiment, created below.
CREATE SEQUENCE tracking.experiment_id_seq START WITH 1 MINVALUE 0;

CREATE TABLE tracking.experiments (
  experiment_id     bigint PRIMARY KEY,
  name              text   NOT NULL UNIQUE,   -- deleted experiments keep their names (MLflow)
  artifact_location text   NOT NULL,
  lifecycle_stage   text   NOT NULL DEFAULT 'active',
  creation_time     bigint,
  last_update_time  bigint,
  version           bigint NOT NULL DEFAULT 0  -- aggregate version of the last applied event
);

CREATE TABLE tracking.experiment_tags (
  experiment_id bigint NOT NULL REFERENCES tracking.experiments (experiment_id),
  key           text   NOT NULL,
  value         text,
  PRIMARY KEY (experiment_id, key)
);
CREATE INDEX experiment_tags_key ON tracking.experiment_tags (key);
CREATE INDEX experiment_tags_value ON tracking.experiment_tags USING hash (value);

CREATE TABLE tracking.runs (
  run_uuid        text   PRIMARY KEY,
  experiment_id   bigint NOT NULL REFERENCES tracking.experiments (experiment_id),
  name            text,
  user_id         text,
  status          text   NOT NULL,
  start_time      bigint,
  end_time        bigint,
  lifecycle_stage text   NOT NULL DEFAULT 'active',
  artifact_uri    text,
  deleted_time    bigint,
  version         bigint NOT NULL DEFAULT 0  -- bumped once per command: serializes writers of one run
);
CREATE INDEX runs_experiment_start ON tracking.runs (experiment_id, start_time DESC, run_uuid);

-- Full metric history: append-only, deliberately without an all-column primary key.
CREATE TABLE tracking.metrics (
  id             bigserial PRIMARY KEY,
  run_uuid       text             NOT NULL,
  key            text             NOT NULL,
  value          double precision NOT NULL,  -- NaN stored as 0 with is_nan (MLflow's SQL store does the same)
  timestamp      bigint           NOT NULL,
  step           bigint           NOT NULL DEFAULT 0,
  is_nan         boolean          NOT NULL DEFAULT false,
  model_id       text,
  dataset_name   text,
  dataset_digest text
);
CREATE INDEX metrics_run_key_step_ts ON tracking.metrics (run_uuid, key, step, timestamp);
CREATE INDEX metrics_model ON tracking.metrics (model_id) WHERE model_id IS NOT NULL;

-- One row per (run, key): the point with the greatest (step, timestamp, value).
CREATE TABLE tracking.latest_metrics (
  run_uuid  text             NOT NULL,
  key       text             NOT NULL,
  value     double precision NOT NULL,
  timestamp bigint           NOT NULL,
  step      bigint           NOT NULL,
  is_nan    boolean          NOT NULL DEFAULT false,
  PRIMARY KEY (run_uuid, key)
);
CREATE INDEX latest_metrics_key_value ON tracking.latest_metrics (key, value);

CREATE TABLE tracking.params (
  run_uuid text NOT NULL,
  key      text NOT NULL,
  value    text NOT NULL,
  PRIMARY KEY (run_uuid, key)
);
-- Values may be 6000 (params) / 8000 (tags) characters: too long for a btree entry (~2.7 kB), so the
-- (key, value) lookups of search use a btree on key and a hash index on value (no size limit), ANDed.
CREATE INDEX params_key ON tracking.params (key);
CREATE INDEX params_value ON tracking.params USING hash (value);

CREATE TABLE tracking.tags (
  run_uuid text NOT NULL,
  key      text NOT NULL,
  value    text,
  PRIMARY KEY (run_uuid, key)
);
CREATE INDEX tags_key ON tracking.tags (key);
CREATE INDEX tags_value ON tracking.tags USING hash (value);

CREATE TABLE tracking.datasets (
  dataset_uuid  text   PRIMARY KEY,
  experiment_id bigint NOT NULL,
  name          text   NOT NULL,
  digest        text   NOT NULL,
  source_type   text   NOT NULL,
  source        text   NOT NULL,
  schema        text,
  profile       text,
  UNIQUE (experiment_id, name, digest)
);

-- source_type/destination_type as MLflow: ('DATASET' → 'RUN') for dataset inputs, ('MODEL' → 'RUN') for model inputs.
CREATE TABLE tracking.inputs (
  input_uuid       text PRIMARY KEY,
  source_type      text NOT NULL,
  source_id        text NOT NULL,
  destination_type text NOT NULL,
  destination_id   text NOT NULL,
  UNIQUE (source_type, source_id, destination_type, destination_id)
);
CREATE INDEX inputs_destination ON tracking.inputs (destination_type, destination_id);

CREATE TABLE tracking.input_tags (
  input_uuid text NOT NULL REFERENCES tracking.inputs (input_uuid),
  name       text NOT NULL,
  value      text NOT NULL,
  PRIMARY KEY (input_uuid, name)
);

CREATE TABLE tracking.run_outputs (
  run_uuid text   NOT NULL,
  model_id text   NOT NULL,
  step     bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (run_uuid, model_id, step)
);

-- MLflow 3 logged models.
CREATE TABLE tracking.logged_models (
  model_id                  text   PRIMARY KEY,
  experiment_id             bigint NOT NULL,
  name                      text   NOT NULL,
  artifact_location         text   NOT NULL,
  creation_timestamp_ms     bigint NOT NULL,
  last_updated_timestamp_ms bigint NOT NULL,
  status                    text   NOT NULL,
  lifecycle_stage           text   NOT NULL DEFAULT 'active',
  model_type                text,
  source_run_id             text,
  status_message            text,
  version                   bigint NOT NULL DEFAULT 0
);
CREATE INDEX logged_models_experiment ON tracking.logged_models (experiment_id, creation_timestamp_ms DESC, model_id);

CREATE TABLE tracking.logged_model_tags (
  model_id text NOT NULL,
  key      text NOT NULL,
  value    text NOT NULL,
  PRIMARY KEY (model_id, key)
);

CREATE TABLE tracking.logged_model_params (
  model_id text NOT NULL,
  key      text NOT NULL,
  value    text NOT NULL,
  PRIMARY KEY (model_id, key)
);

-- Metric points logged with a model_id also belong to that logged model (its data.metrics).
CREATE TABLE tracking.logged_model_metrics (
  model_id       text             NOT NULL,
  run_uuid       text             NOT NULL,
  key            text             NOT NULL,
  value          double precision NOT NULL,
  timestamp      bigint           NOT NULL,
  step           bigint           NOT NULL,
  is_nan         boolean          NOT NULL DEFAULT false,
  dataset_name   text,
  dataset_digest text,
  UNIQUE (model_id, run_uuid, key, step, timestamp, value, is_nan)
);

-- The Default experiment exists from the start (the client falls back to "0").
INSERT INTO tracking.experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active', (extract(epoch FROM now()) * 1000)::bigint, (extract(epoch FROM now()) * 1000)::bigint);

-- ...and, like every change, as an event: consumers of tracking events learn of experiment 0 too.
WITH created AS (
  INSERT INTO tracking.events (event_id, type, aggregate_id, aggregate_version, occurred_at, actor, data)
  SELECT gen_random_uuid(), 'tracking.experiment.created.v1', '0', 1, now(), 'system',
         jsonb_build_object('experimentId', '0', 'name', e.name, 'artifactLocation', e.artifact_location,
                            'creationTime', e.creation_time, 'tags', '[]'::jsonb)
  FROM tracking.experiments e WHERE e.experiment_id = 0
  RETURNING global_position
)
INSERT INTO tracking.outbox (global_position) SELECT global_position FROM created;
UPDATE tracking.experiments SET version = 1 WHERE experiment_id = 0;
