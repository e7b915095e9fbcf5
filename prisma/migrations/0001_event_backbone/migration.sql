-- Event backbone: per context (tracking, artifacts, registry, webhooks) the append-only event store,
-- the transactional outbox, the consumer inbox, Kafka consumer offsets and dead letters.
-- See docs/adr/0001-event-envelope-topics-and-delivery.md. Applied in one transaction by the migrator.

-- Events are append-only: a corrected fact is a new event, and every read model must stay rebuildable
-- by replaying them. (TRUNCATE, which only tests use, is not affected.)
CREATE OR REPLACE FUNCTION public.cairn_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%.events is append-only', TG_TABLE_SCHEMA USING ERRCODE = 'restrict_violation';
END $$;

-- Wakes the context's outbox relay (LISTEN cairn_outbox_<schema>) when a transaction that queued
-- events commits; notifications are delivered only on commit and collapse within a transaction.
CREATE OR REPLACE FUNCTION public.cairn_notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('cairn_outbox_' || TG_TABLE_SCHEMA, '');
  RETURN NULL;
END $$;

-- ─── tracking ──────────────────────────────────────────────────────────────────────────────────
CREATE SCHEMA IF NOT EXISTS tracking;

CREATE TABLE tracking.events (
  global_position   bigserial   PRIMARY KEY,
  event_id          uuid        NOT NULL UNIQUE,     -- uuid v7, assigned by the event store
  type              text        NOT NULL,            -- versioned, e.g. tracking.<entity>.<action>.v1
  aggregate_id      text        NOT NULL,
  aggregate_version integer     NOT NULL CHECK (aggregate_version > 0),
  occurred_at       timestamptz NOT NULL,
  actor             text        NOT NULL,
  correlation_id    text,
  causation_id      text,
  data              jsonb       NOT NULL,
  -- Optimistic concurrency: two writers deciding from the same version collide here.
  CONSTRAINT events_aggregate_version_unique UNIQUE (aggregate_id, aggregate_version)
);
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON tracking.events
  FOR EACH STATEMENT EXECUTE FUNCTION public.cairn_events_append_only();

-- Events waiting to be published; a row references its event instead of copying the payload.
CREATE TABLE tracking.outbox (
  global_position bigint      PRIMARY KEY REFERENCES tracking.events (global_position),
  enqueued_at     timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz
);
-- The relay reads only unsent rows in position order: this index stays as small as the backlog.
CREATE INDEX outbox_unsent ON tracking.outbox (global_position) WHERE sent_at IS NULL;
CREATE TRIGGER outbox_notify AFTER INSERT ON tracking.outbox
  FOR EACH STATEMENT EXECUTE FUNCTION public.cairn_notify_outbox();

-- Events this context's consumers have already applied (or dead-lettered): a redelivery is a no-op.
CREATE TABLE tracking.inbox (
  consumer     text        NOT NULL,
  event_id     uuid        NOT NULL,
  event_type   text,
  outcome      text        NOT NULL CHECK (outcome IN ('applied', 'dead_lettered')),
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

-- Kafka consumer progress, committed in the same transaction as the projection it reflects.
-- next_offset follows Kafka's convention: the offset of the next message to read.
CREATE TABLE tracking.consumer_offsets (
  consumer    text        NOT NULL,   -- the consumer group id
  topic       text        NOT NULL,
  partition   integer     NOT NULL,
  next_offset bigint      NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, topic, partition)
);

-- Events a consumer could not apply (non-retriable error, retries exhausted, unparseable message).
CREATE TABLE tracking.dead_letters (
  id               bigserial   PRIMARY KEY,
  consumer         text        NOT NULL,
  event_id         uuid,                -- null when the message did not even carry one
  event_type       text,
  envelope         jsonb,               -- the message as received, when it was JSON
  raw_message      text,                -- the message as received, when it was not
  reason           text        NOT NULL,
  attempts         integer     NOT NULL,
  source_topic     text,
  source_partition integer,
  source_offset    bigint,
  dead_lettered_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_consumer ON tracking.dead_letters (consumer, dead_lettered_at);

-- ─── artifacts ──────────────────────────────────────────────────────────────────────────────────
CREATE SCHEMA IF NOT EXISTS artifacts;

CREATE TABLE artifacts.events (
  global_position   bigserial   PRIMARY KEY,
  event_id          uuid        NOT NULL UNIQUE,     -- uuid v7, assigned by the event store
  type              text        NOT NULL,            -- versioned, e.g. artifacts.<entity>.<action>.v1
  aggregate_id      text        NOT NULL,
  aggregate_version integer     NOT NULL CHECK (aggregate_version > 0),
  occurred_at       timestamptz NOT NULL,
  actor             text        NOT NULL,
  correlation_id    text,
  causation_id      text,
  data              jsonb       NOT NULL,
  -- Optimistic concurrency: two writers deciding from the same version collide here.
  CONSTRAINT events_aggregate_version_unique UNIQUE (aggregate_id, aggregate_version)
);
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON artifacts.events
  FOR EACH STATEMENT EXECUTE FUNCTION public.cairn_events_append_only();

-- Events waiting to be published; a row references its event instead of copying the payload.
CREATE TABLE artifacts.outbox (
  global_position bigint      PRIMARY KEY REFERENCES artifacts.events (global_position),
  enqueued_at     timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz
);
-- The relay reads only unsent rows in position order: this index stays as small as the backlog.
CREATE INDEX outbox_unsent ON artifacts.outbox (global_position) WHERE sent_at IS NULL;
CREATE TRIGGER outbox_notify AFTER INSERT ON artifacts.outbox
  FOR EACH STATEMENT EXECUTE FUNCTION public.cairn_notify_outbox();

-- Events this context's consumers have already applied (or dead-lettered): a redelivery is a no-op.
CREATE TABLE artifacts.inbox (
  consumer     text        NOT NULL,
  event_id     uuid        NOT NULL,
  event_type   text,
  outcome      text        NOT NULL CHECK (outcome IN ('applied', 'dead_lettered')),
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

-- Kafka consumer progress, committed in the same transaction as the projection it reflects.
-- next_offset follows Kafka's convention: the offset of the next message to read.
CREATE TABLE artifacts.consumer_offsets (
  consumer    text        NOT NULL,   -- the consumer group id
  topic       text        NOT NULL,
  partition   integer     NOT NULL,
  next_offset bigint      NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, topic, partition)
);

-- Events a consumer could not apply (non-retriable error, retries exhausted, unparseable message).
CREATE TABLE artifacts.dead_letters (
  id               bigserial   PRIMARY KEY,
  consumer         text        NOT NULL,
  event_id         uuid,                -- null when the message did not even carry one
  event_type       text,
  envelope         jsonb,               -- the message as received, when it was JSON
  raw_message      text,                -- the message as received, when it was not
  reason           text        NOT NULL,
  attempts         integer     NOT NULL,
  source_topic     text,
  source_partition integer,
  source_offset    bigint,
  dead_lettered_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_consumer ON artifacts.dead_letters (consumer, dead_lettered_at);

-- ─── registry ──────────────────────────────────────────────────────────────────────────────────
CREATE SCHEMA IF NOT EXISTS registry;

CREATE TABLE registry.events (
  global_position   bigserial   PRIMARY KEY,
  event_id          uuid        NOT NULL UNIQUE,     -- uuid v7, assigned by the event store
  type              text        NOT NULL,            -- versioned, e.g. registry.<entity>.<action>.v1
  aggregate_id      text        NOT NULL,
  aggregate_version integer     NOT NULL CHECK (aggregate_version > 0),
  occurred_at       timestamptz NOT NULL,
  actor             text        NOT NULL,
  correlation_id    text,
  causation_id      text,
  data              jsonb       NOT NULL,
  -- Optimistic concurrency: two writers deciding from the same version collide here.
  CONSTRAINT events_aggregate_version_unique UNIQUE (aggregate_id, aggregate_version)
);
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON registry.events
  FOR EACH STATEMENT EXECUTE FUNCTION public.cairn_events_append_only();

-- Events waiting to be published; a row references its event instead of copying the payload.
CREATE TABLE registry.outbox (
  global_position bigint      PRIMARY KEY REFERENCES registry.events (global_position),
  enqueued_at     timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz
);
-- The relay reads only unsent rows in position order: this index stays as small as the backlog.
CREATE INDEX outbox_unsent ON registry.outbox (global_position) WHERE sent_at IS NULL;
CREATE TRIGGER outbox_notify AFTER INSERT ON registry.outbox
  FOR EACH STATEMENT EXECUTE FUNCTION public.cairn_notify_outbox();

-- Events this context's consumers have already applied (or dead-lettered): a redelivery is a no-op.
CREATE TABLE registry.inbox (
  consumer     text        NOT NULL,
  event_id     uuid        NOT NULL,
  event_type   text,
  outcome      text        NOT NULL CHECK (outcome IN ('applied', 'dead_lettered')),
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

-- Kafka consumer progress, committed in the same transaction as the projection it reflects.
-- next_offset follows Kafka's convention: the offset of the next message to read.
CREATE TABLE registry.consumer_offsets (
  consumer    text        NOT NULL,   -- the consumer group id
  topic       text        NOT NULL,
  partition   integer     NOT NULL,
  next_offset bigint      NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, topic, partition)
);

-- Events a consumer could not apply (non-retriable error, retries exhausted, unparseable message).
CREATE TABLE registry.dead_letters (
  id               bigserial   PRIMARY KEY,
  consumer         text        NOT NULL,
  event_id         uuid,                -- null when the message did not even carry one
  event_type       text,
  envelope         jsonb,               -- the message as received, when it was JSON
  raw_message      text,                -- the message as received, when it was not
  reason           text        NOT NULL,
  attempts         integer     NOT NULL,
  source_topic     text,
  source_partition integer,
  source_offset    bigint,
  dead_lettered_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_consumer ON registry.dead_letters (consumer, dead_lettered_at);

-- ─── webhooks ──────────────────────────────────────────────────────────────────────────────────
CREATE SCHEMA IF NOT EXISTS webhooks;

CREATE TABLE webhooks.events (
  global_position   bigserial   PRIMARY KEY,
  event_id          uuid        NOT NULL UNIQUE,     -- uuid v7, assigned by the event store
  type              text        NOT NULL,            -- versioned, e.g. webhooks.<entity>.<action>.v1
  aggregate_id      text        NOT NULL,
  aggregate_version integer     NOT NULL CHECK (aggregate_version > 0),
  occurred_at       timestamptz NOT NULL,
  actor             text        NOT NULL,
  correlation_id    text,
  causation_id      text,
  data              jsonb       NOT NULL,
  -- Optimistic concurrency: two writers deciding from the same version collide here.
  CONSTRAINT events_aggregate_version_unique UNIQUE (aggregate_id, aggregate_version)
);
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON webhooks.events
  FOR EACH STATEMENT EXECUTE FUNCTION public.cairn_events_append_only();

-- Events waiting to be published; a row references its event instead of copying the payload.
CREATE TABLE webhooks.outbox (
  global_position bigint      PRIMARY KEY REFERENCES webhooks.events (global_position),
  enqueued_at     timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz
);
-- The relay reads only unsent rows in position order: this index stays as small as the backlog.
CREATE INDEX outbox_unsent ON webhooks.outbox (global_position) WHERE sent_at IS NULL;
CREATE TRIGGER outbox_notify AFTER INSERT ON webhooks.outbox
  FOR EACH STATEMENT EXECUTE FUNCTION public.cairn_notify_outbox();

-- Events this context's consumers have already applied (or dead-lettered): a redelivery is a no-op.
CREATE TABLE webhooks.inbox (
  consumer     text        NOT NULL,
  event_id     uuid        NOT NULL,
  event_type   text,
  outcome      text        NOT NULL CHECK (outcome IN ('applied', 'dead_lettered')),
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

-- Kafka consumer progress, committed in the same transaction as the projection it reflects.
-- next_offset follows Kafka's convention: the offset of the next message to read.
CREATE TABLE webhooks.consumer_offsets (
  consumer    text        NOT NULL,   -- the consumer group id
  topic       text        NOT NULL,
  partition   integer     NOT NULL,
  next_offset bigint      NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, topic, partition)
);

-- Events a consumer could not apply (non-retriable error, retries exhausted, unparseable message).
CREATE TABLE webhooks.dead_letters (
  id               bigserial   PRIMARY KEY,
  consumer         text        NOT NULL,
  event_id         uuid,                -- null when the message did not even carry one
  event_type       text,
  envelope         jsonb,               -- the message as received, when it was JSON
  raw_message      text,                -- the message as received, when it was not
  reason           text        NOT NULL,
  attempts         integer     NOT NULL,
  source_topic     text,
  source_partition integer,
  source_offset    bigint,
  dead_lettered_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_consumer ON webhooks.dead_letters (consumer, dead_lettered_at);
