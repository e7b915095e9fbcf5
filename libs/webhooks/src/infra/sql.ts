// The delivery log's hot-path SQL, kept readable as SQL. Endpoint CRUD goes through Prisma
// (webhook-endpoints.repository.ts); everything the dispatcher does per delivery is here.

/**
 * One delivery per ACTIVE endpoint subscribed to the event; a redelivered event records nothing new.
 * The delivery id is named by (endpoint, event), not drawn at random: recording an event again — a
 * replay of registry.events into a restored log — gives the receiver the id it may already have seen.
 */
export const RECORD_DELIVERIES = `
INSERT INTO webhooks.deliveries (delivery_id, webhook_id, event_id, entity, action, ordering_key, body, status, event_time, next_attempt_at)
SELECT md5('webhooks.delivery:' || e.webhook_id || ':' || $1::uuid::text)::uuid, e.webhook_id, $1::uuid, $2, $3, $4, $5, 'PENDING', $6, now()
FROM webhooks.endpoints e
WHERE e.status = 'ACTIVE' AND $7 = ANY (e.events)
ORDER BY e.webhook_id
ON CONFLICT (webhook_id, event_id) WHERE redelivery_of IS NULL DO NOTHING`;

export const NOTIFY_DISPATCHER = `SELECT pg_notify('webhooks_deliveries', '')`;
export const DISPATCHER_CHANNEL = 'webhooks_deliveries';

/**
 * Claims up to $1 deliveries that may go now. Only the oldest unfinished delivery of each
 * (endpoint, model) is a candidate, so deliveries of one model arrive in order even across retries.
 * IN_FLIGHT rows whose lease ran out (their dispatcher died mid-delivery) are taken over. The
 * status conditions are repeated on `d` so they are re-checked on the locked row's newest version
 * (another dispatcher may have claimed it since the CTE's snapshot); SKIP LOCKED lets replicas
 * share the work.
 */
export const CLAIM_DUE = `
WITH heads AS (
  SELECT DISTINCT ON (webhook_id, ordering_key) delivery_id
  FROM webhooks.deliveries
  WHERE status IN ('PENDING', 'IN_FLIGHT')
  ORDER BY webhook_id, ordering_key, sequence
), due AS (
  SELECT d.delivery_id
  FROM webhooks.deliveries d
  JOIN heads h ON h.delivery_id = d.delivery_id
  JOIN webhooks.endpoints e ON e.webhook_id = d.webhook_id AND e.status = 'ACTIVE'
  WHERE (d.status = 'PENDING' AND d.next_attempt_at <= now()) OR (d.status = 'IN_FLIGHT' AND d.lease_until < now())
  ORDER BY d.next_attempt_at, d.sequence
  LIMIT $1
  FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhooks.deliveries d
SET status = 'IN_FLIGHT', attempts = d.attempts + 1, lease_until = now() + make_interval(secs => $2::double precision / 1000)
FROM due, webhooks.endpoints e
WHERE d.delivery_id = due.delivery_id AND e.webhook_id = d.webhook_id
RETURNING d.delivery_id, d.webhook_id, d.attempts, d.body, d.event_time, e.url, e.secret`;

/** When the next PENDING delivery falls due (for the dispatcher's sleep), or null. */
export const NEXT_DUE = `
SELECT min(d.next_attempt_at) AS next_due
FROM webhooks.deliveries d JOIN webhooks.endpoints e ON e.webhook_id = d.webhook_id AND e.status = 'ACTIVE'
WHERE d.status = 'PENDING'`;

export const INSERT_ATTEMPT = `
INSERT INTO webhooks.delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_body, outcome)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (delivery_id, attempt) DO NOTHING`;

/**
 * Taken first when settling: endpoint before delivery, the order a DELETE of the endpoint takes
 * (its row, then the cascade to deliveries), so deleting a webhook mid-delivery waits instead of
 * deadlocking.
 */
export const LOCK_ENDPOINT = `SELECT 1 FROM webhooks.endpoints WHERE webhook_id = $1 FOR NO KEY UPDATE`;

/**
 * Settles the attempt this dispatcher claimed. The (status, attempts) guard makes a dispatcher
 * that lost its lease (paused past it while another took over) change nothing.
 */
export const SETTLE_DELIVERY = `
UPDATE webhooks.deliveries
SET status = $3,
    next_attempt_at = CASE WHEN $3 = 'PENDING' THEN now() + make_interval(secs => $4::double precision / 1000) END,
    lease_until = NULL,
    completed_at = CASE WHEN $3 IN ('SUCCEEDED', 'FAILED') THEN now() END,
    last_status_code = $5,
    last_error = $6
WHERE delivery_id = $1 AND status = 'IN_FLIGHT' AND attempts = $2`;

export const ENDPOINT_SUCCEEDED = `
UPDATE webhooks.endpoints SET consecutive_failures = 0, last_success_at = now() WHERE webhook_id = $1`;

export const ENDPOINT_FAILED = `
UPDATE webhooks.endpoints SET consecutive_failures = consecutive_failures + 1 WHERE webhook_id = $1
RETURNING consecutive_failures`;

export const DISABLE_ENDPOINT = `
UPDATE webhooks.endpoints
SET status = 'DISABLED', disabled_reason = $2, last_updated_timestamp = $3
WHERE webhook_id = $1 AND status = 'ACTIVE'`;

const DELIVERY_COLUMNS = `delivery_id, webhook_id, event_id, entity, action, status, attempts, body, created_at, next_attempt_at,
  completed_at, last_status_code, last_error, redelivery_of, sequence`;

/** Newest first; keyset on the recording sequence. */
export const LIST_DELIVERIES = `
SELECT ${DELIVERY_COLUMNS}
FROM webhooks.deliveries
WHERE ($1::text IS NULL OR webhook_id = $1) AND ($2::text IS NULL OR status = $2) AND ($3::bigint IS NULL OR sequence < $3)
ORDER BY sequence DESC
LIMIT $4`;

export const GET_DELIVERY = `SELECT ${DELIVERY_COLUMNS} FROM webhooks.deliveries WHERE delivery_id = $1`;

export const LIST_ATTEMPTS = `
SELECT attempt, started_at, duration_ms, status_code, error, response_body, outcome
FROM webhooks.delivery_attempts WHERE delivery_id = $1 ORDER BY attempt`;

/** A failed or cancelled delivery is retried under the same id (its receiver never accepted it). */
export const REOPEN_DELIVERY = `
UPDATE webhooks.deliveries
SET status = 'PENDING', next_attempt_at = now(), completed_at = NULL, lease_until = NULL
WHERE delivery_id = $1 AND status IN ('FAILED', 'CANCELLED')
RETURNING delivery_id`;

/** An accepted delivery sent again on purpose is a new delivery (new id) pointing at the original. */
export const COPY_DELIVERY = `
INSERT INTO webhooks.deliveries (delivery_id, webhook_id, event_id, entity, action, ordering_key, body, status, event_time, next_attempt_at, redelivery_of)
SELECT gen_random_uuid(), webhook_id, event_id, entity, action, ordering_key, body, 'PENDING', now(), now(), delivery_id
FROM webhooks.deliveries WHERE delivery_id = $1
RETURNING delivery_id`;
