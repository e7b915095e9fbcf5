-- The artifacts context's read models (schema `artifacts`, created with its event store in 0001).
-- Bytes live in the blob store, content-addressed: one blob per distinct sha256, shared by every path
-- that holds that content, with a reference count. The path index is what clients list and read.

-- One row per distinct content. `storage_key` is the blob's key in the blob store (written once,
-- under a fresh name, so an upload never has to copy or rename a blob to give it its address).
CREATE TABLE artifacts.objects (
  digest      text        PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
  storage_key text        NOT NULL UNIQUE,
  size        bigint      NOT NULL CHECK (size >= 0),
  ref_count   integer     NOT NULL CHECK (ref_count >= 0),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- The path index. `path` is the full checked path under the artifact root, as the mlflow-artifacts
-- proxy sees it: `<experiment_id>/<run_id>/artifacts/<relative_path>`. Collation "C" makes prefix
-- scans (listing a directory) use the primary key.
CREATE TABLE artifacts.files (
  path          text COLLATE "C" PRIMARY KEY,
  owner_kind    text        NOT NULL CHECK (owner_kind IN ('run', 'logged_model', 'other')),
  owner_id      text        NOT NULL,
  experiment_id text,
  relative_path text COLLATE "C" NOT NULL,
  digest        text        NOT NULL REFERENCES artifacts.objects (digest),
  size          bigint      NOT NULL CHECK (size >= 0),
  -- Upload order, for "keep the last N" retention.
  seq           bigserial   NOT NULL,
  stored_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_owner ON artifacts.files (owner_id, relative_path);
CREATE INDEX files_experiment ON artifacts.files (experiment_id);
CREATE INDEX files_digest ON artifacts.files (digest);

-- Blobs whose last reference was committed away, waiting to be deleted from the blob store. Rows go
-- only after the blob is gone, so deletion resumes after a crash; deleting twice is harmless.
CREATE TABLE artifacts.blob_garbage (
  storage_key text        PRIMARY KEY,
  enqueued_at timestamptz NOT NULL DEFAULT now()
);

-- Per-experiment retention: under `prefix`, keep the last `keep_last` checkpoints and the best
-- `keep_best` by metric `metric_key` (goal max|min). A checkpoint is one entry directly under the prefix.
CREATE TABLE artifacts.retention_policies (
  policy_id     text        PRIMARY KEY,
  experiment_id text        NOT NULL,
  prefix        text        NOT NULL,
  keep_last     integer     CHECK (keep_last >= 0),
  keep_best     integer     CHECK (keep_best >= 0),
  metric_key    text,
  metric_goal   text        CHECK (metric_goal IN ('max', 'min')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT retention_policies_experiment_prefix UNIQUE (experiment_id, prefix)
);

CREATE TABLE artifacts.quotas (
  experiment_id text        PRIMARY KEY,
  max_bytes     bigint      NOT NULL CHECK (max_bytes > 0),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Projection of tracking metrics, kept only for keys some retention policy ranks by.
CREATE TABLE artifacts.run_metrics (
  run_id     text             NOT NULL,
  key        text             NOT NULL,
  step       bigint           NOT NULL,
  value      double precision NOT NULL,
  timestamp  bigint           NOT NULL,
  PRIMARY KEY (run_id, key, step)
);

-- Projection of registry model versions: what the UI's model-versions/get-artifact serves, and the
-- references that keep a purged run's artifacts from being collected.
CREATE TABLE artifacts.model_version_refs (
  model_id        text NOT NULL,
  version         text NOT NULL,
  name            text NOT NULL,
  source          text NOT NULL,
  run_id          text,
  logged_model_id text,
  PRIMARY KEY (model_id, version)
);
CREATE INDEX model_version_refs_name ON artifacts.model_version_refs (name, version);
CREATE INDEX model_version_refs_run ON artifacts.model_version_refs (run_id);

-- Runs tracking purged. `deferred` while a model version references them; `collected` once done.
CREATE TABLE artifacts.purged_runs (
  run_id       text        PRIMARY KEY,
  state        text        NOT NULL CHECK (state IN ('deferred', 'collected')),
  purged_at    timestamptz NOT NULL DEFAULT now(),
  collected_at timestamptz
);
