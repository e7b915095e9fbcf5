-- The registry's read models, projected inline (same transaction) from registry.events, plus its
-- projection of tracking's logged models (3.x `models:/m-…` sources → run, artifact location).
-- The aggregate is the registered model, keyed by a stable model_id so a rename keeps its history.

CREATE TABLE registry.registered_models (
  model_id               text   PRIMARY KEY,
  name                   text   NOT NULL,
  creation_timestamp     bigint NOT NULL,
  last_updated_timestamp bigint NOT NULL,
  description            text,
  CONSTRAINT registered_models_name_unique UNIQUE (name)
);
CREATE INDEX registered_models_creation ON registry.registered_models (creation_timestamp);
CREATE INDEX registered_models_last_updated ON registry.registered_models (last_updated_timestamp);

CREATE TABLE registry.registered_model_tags (
  model_id text NOT NULL REFERENCES registry.registered_models (model_id) ON DELETE CASCADE,
  key      text NOT NULL,
  value    text NOT NULL,
  PRIMARY KEY (model_id, key)
);
CREATE INDEX registered_model_tags_key_value ON registry.registered_model_tags (key, value);

-- One row per live version; a deleted version's number stays taken in the event stream, never here.
CREATE TABLE registry.model_versions (
  model_id               text    NOT NULL REFERENCES registry.registered_models (model_id) ON DELETE CASCADE,
  name                   text    NOT NULL,
  version                integer NOT NULL CHECK (version > 0),
  creation_timestamp     bigint  NOT NULL,
  last_updated_timestamp bigint  NOT NULL,
  user_id                text,
  current_stage          text    NOT NULL DEFAULT 'None' CHECK (current_stage IN ('None', 'Staging', 'Production', 'Archived')),
  description            text,
  source                 text    NOT NULL,
  run_id                 text,
  run_link               text,
  logged_model_id        text,
  status                 text    NOT NULL DEFAULT 'READY',
  PRIMARY KEY (model_id, version)
);
CREATE INDEX model_versions_name ON registry.model_versions (name, version DESC);
CREATE INDEX model_versions_run ON registry.model_versions (run_id);
CREATE INDEX model_versions_logged_model ON registry.model_versions (logged_model_id);
CREATE INDEX model_versions_stage ON registry.model_versions (model_id, current_stage, version DESC);

CREATE TABLE registry.model_version_tags (
  model_id text    NOT NULL,
  version  integer NOT NULL,
  key      text    NOT NULL,
  value    text    NOT NULL,
  PRIMARY KEY (model_id, version, key),
  FOREIGN KEY (model_id, version) REFERENCES registry.model_versions (model_id, version) ON DELETE CASCADE
);
CREATE INDEX model_version_tags_key_value ON registry.model_version_tags (key, value);

-- An alias names exactly one live version of its model (the PK), and goes with that version.
CREATE TABLE registry.registered_model_aliases (
  model_id text    NOT NULL,
  alias    text    NOT NULL,
  version  integer NOT NULL,
  PRIMARY KEY (model_id, alias),
  FOREIGN KEY (model_id, version) REFERENCES registry.model_versions (model_id, version) ON DELETE CASCADE
);

-- 3.x logged models, from tracking events: which run produced a `models:/m-…` source and where its files are.
CREATE TABLE registry.logged_models (
  model_id          text   PRIMARY KEY,
  experiment_id     text   NOT NULL,
  source_run_id     text,
  artifact_location text   NOT NULL,
  creation_time     bigint NOT NULL
);

-- History and as-of reads scan one aggregate's stream by time.
CREATE INDEX IF NOT EXISTS events_aggregate_time ON registry.events (aggregate_id, occurred_at);
-- History by name finds the aggregate of a deleted model from its events.
CREATE INDEX IF NOT EXISTS events_model_name ON registry.events ((data ->> 'name'));
