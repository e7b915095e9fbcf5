-- MLflow 3 traces (issue 20) in the tracking context, projected from tracking.events like every
-- other tracking write. The trace's info, tags, metadata and assessments live here; its spans do not:
-- the client uploads them as one `traces.json` to the trace's artifact location (the
-- `mlflow.artifactLocation` tag, under the experiment's artifact location), as it does against an
-- `mlflow server` whose store cannot log spans. New tables only: nothing an older release reads changes.

CREATE TABLE tracking.traces (
  trace_id           text   PRIMARY KEY,
  experiment_id      bigint NOT NULL,
  -- Epoch milliseconds (the wire's Timestamp/Duration, at MLflow's millisecond precision).
  request_time       bigint NOT NULL,
  execution_duration bigint,
  state              text   NOT NULL,
  request_preview    text,
  response_preview   text,
  client_request_id  text,
  -- The `mlflow.sourceRun` metadata: the run the trace was logged in, searched as `run_id`.
  run_id             text,
  version            bigint NOT NULL DEFAULT 0
);
-- search_traces: the experiment's traces newest first (MLflow's default order), keyset-paged.
CREATE INDEX traces_experiment ON tracking.traces (experiment_id, request_time DESC, trace_id);
CREATE INDEX traces_run ON tracking.traces (run_id) WHERE run_id IS NOT NULL;

CREATE TABLE tracking.trace_tags (
  trace_id text NOT NULL,
  key      text NOT NULL,
  value    text NOT NULL,
  PRIMARY KEY (trace_id, key)
);
-- Values may be long (8000 characters): a btree over them would refuse rows, so key and value are
-- indexed apart, as tracking.tags.
CREATE INDEX trace_tags_key ON tracking.trace_tags (key);
CREATE INDEX trace_tags_value ON tracking.trace_tags USING hash (value);

-- MLflow's `trace_request_metadata`: written once, with the trace.
CREATE TABLE tracking.trace_metadata (
  trace_id text NOT NULL,
  key      text NOT NULL,
  value    text NOT NULL,
  PRIMARY KEY (trace_id, key)
);
CREATE INDEX trace_metadata_key ON tracking.trace_metadata (key);
CREATE INDEX trace_metadata_value ON tracking.trace_metadata USING hash (value);

-- Feedback and expectations on a trace, kept as the wire's Assessment object (protobuf JSON).
-- Keyed per trace: the client chooses assessment ids, so one trace's id must never reach another's row.
CREATE TABLE tracking.trace_assessments (
  trace_id         text   NOT NULL,
  assessment_id    text   NOT NULL,
  name             text   NOT NULL,
  create_time      bigint NOT NULL,
  last_update_time bigint NOT NULL,
  body             jsonb  NOT NULL,
  PRIMARY KEY (trace_id, assessment_id)
);
CREATE INDEX trace_assessments_trace ON tracking.trace_assessments (trace_id, create_time);
