-- The webhooks context: endpoints (MLflow's webhook entity plus Cairn's health fields) and a
-- durable delivery log. A delivery is recorded, in the consumer's transaction, for every
-- (endpoint, registry event) pair before anything is sent; the dispatcher then works the log.

CREATE TABLE webhooks.endpoints (
  webhook_id             text        PRIMARY KEY,
  name                   text        NOT NULL,
  description            text,
  url                    text        NOT NULL,
  -- 'entity.action' strings in MLflow's lower-case spelling, e.g. 'model_version.created'.
  events                 text[]      NOT NULL CHECK (cardinality(events) > 0),
  -- Needed in clear to sign every attempt; never returned by the API.
  secret                 text,
  status                 text        NOT NULL CHECK (status IN ('ACTIVE', 'DISABLED')),
  disabled_reason        text,
  -- Deliveries that ended failed in a row (reset by any success): the auto-disable counter.
  consecutive_failures   integer     NOT NULL DEFAULT 0,
  last_success_at        timestamptz,
  creation_timestamp     bigint      NOT NULL,
  last_updated_timestamp bigint      NOT NULL
);
CREATE INDEX endpoints_events ON webhooks.endpoints USING gin (events);

CREATE TABLE webhooks.deliveries (
  delivery_id      uuid        PRIMARY KEY,
  -- Global order of recording: deliveries of one (endpoint, ordering key) go out in this order.
  sequence         bigserial   NOT NULL UNIQUE,
  webhook_id       text        NOT NULL REFERENCES webhooks.endpoints (webhook_id) ON DELETE CASCADE,
  -- The registry event that caused it (a redelivery copy keeps the original's).
  event_id         uuid        NOT NULL,
  entity           text        NOT NULL,
  action           text        NOT NULL,
  -- The registered model's stable id: deliveries are ordered per model.
  ordering_key     text        NOT NULL,
  -- The exact request body, fixed at recording so every attempt sends the same bytes.
  body             text        NOT NULL,
  status           text        NOT NULL CHECK (status IN ('PENDING', 'IN_FLIGHT', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
  attempts         integer     NOT NULL DEFAULT 0,
  -- When the event happened: the retry window (about 72 hours) counts from here.
  event_time       timestamptz NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  next_attempt_at  timestamptz,
  lease_until      timestamptz,
  completed_at     timestamptz,
  last_status_code integer,
  last_error       text,
  -- A manual redelivery of an accepted delivery gets a new id and points at the original.
  redelivery_of    uuid
);
-- One delivery per (endpoint, event); redelivery copies are exempt.
CREATE UNIQUE INDEX deliveries_once_per_event ON webhooks.deliveries (webhook_id, event_id) WHERE redelivery_of IS NULL;
-- The dispatcher's claim reads only unfinished deliveries, per (endpoint, model) in order.
CREATE INDEX deliveries_unfinished ON webhooks.deliveries (webhook_id, ordering_key, sequence) WHERE status IN ('PENDING', 'IN_FLIGHT');
CREATE INDEX deliveries_by_webhook ON webhooks.deliveries (webhook_id, sequence DESC);

CREATE TABLE webhooks.delivery_attempts (
  delivery_id   uuid        NOT NULL REFERENCES webhooks.deliveries (delivery_id) ON DELETE CASCADE,
  attempt       integer     NOT NULL,
  started_at    timestamptz NOT NULL,
  duration_ms   integer     NOT NULL,
  status_code   integer,
  error         text,
  -- The first KiB of the receiver's answer, for people reading the log.
  response_body text,
  outcome       text        NOT NULL CHECK (outcome IN ('SUCCEEDED', 'RETRY', 'FAILED')),
  PRIMARY KEY (delivery_id, attempt)
);
