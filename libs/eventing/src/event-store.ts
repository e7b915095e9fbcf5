import { eventEnvelopeSchema, type ContextName, type EventEnvelope, type EventMetadata, type NewEvent } from '@cairn/contracts';
import { systemClock, type Clock } from './clock';
import { ConcurrencyError } from './errors';
import type { Sql, UnitOfWork } from '@cairn/platform';
import { isUniqueViolation, perContext } from './sql';
import { uuidv7 } from './uuidv7';

/**
 * What the caller saw when it decided: one number when every event belongs to one aggregate
 * (0 = the aggregate must not exist yet), or a version per aggregate id.
 */
export type ExpectedVersion = number | Readonly<Record<string, number>>;

/** An event read back from the store with its position in the context's log. */
export interface StoredEvent {
  /** `events.global_position`: increasing in insertion order, with gaps (rolled-back inserts). */
  position: number;
  envelope: EventEnvelope;
}

export interface EventStoreOptions {
  clock?: Clock;
  newEventId?: () => string;
}

/** The columns every read of `events` selects, and their mapping to the envelope. */
export const EVENT_COLUMNS = 'global_position, event_id, type, aggregate_id, aggregate_version, occurred_at, actor, correlation_id, causation_id, data';

export interface EventRow {
  global_position: string;
  event_id: string;
  type: string;
  aggregate_id: string;
  aggregate_version: number;
  occurred_at: Date;
  actor: string;
  correlation_id: string | null;
  causation_id: string | null;
  data: unknown;
}

export function envelopeOfRow(row: EventRow, context: ContextName): EventEnvelope {
  return {
    eventId: row.event_id,
    type: row.type,
    context,
    aggregateId: row.aggregate_id,
    aggregateVersion: row.aggregate_version,
    occurredAt: row.occurred_at.toISOString(),
    actor: row.actor,
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    data: row.data,
  };
}

/*
 * One statement appends a whole batch and queues it for publishing:
 *   input    – the events, unnested from parallel arrays, numbered by their position in the call;
 *   current  – the latest stored version of each aggregate touched: one backward step of the unique
 *              index, not max() over every event of it (a run logging a metric per step has
 *              thousands, and that aggregate read its whole history on every append);
 *   numbered – next versions per aggregate, in call order;
 *   inserted – nothing at all if a caller-supplied expected version is stale (the caller gets zero
 *              rows back and raises ConcurrencyError), otherwise every event, in call order so that
 *              global_position follows the order the decider produced;
 *   the outbox rows reference the inserted events (the relay joins back to read the payload).
 * A concurrent writer that committed after our snapshot makes the INSERT hit the unique
 * (aggregate_id, aggregate_version) index instead: also a ConcurrencyError.
 */
const APPEND = perContext(
  (s) => `
WITH input AS (
  SELECT t.event_id, t.type, t.aggregate_id, d.data, t.ord
  FROM unnest($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS t (event_id, type, aggregate_id, ord)
  JOIN json_array_elements($4::json) WITH ORDINALITY AS d (data, ord) USING (ord)
),
expected AS (
  SELECT x.aggregate_id, x.expected_version FROM unnest($5::text[], $6::int[]) AS x (aggregate_id, expected_version)
),
current AS (
  SELECT a.aggregate_id,
         (SELECT e.aggregate_version FROM ${s}.events e WHERE e.aggregate_id = a.aggregate_id ORDER BY e.aggregate_version DESC LIMIT 1) AS version
  FROM (SELECT DISTINCT aggregate_id FROM input) AS a
),
numbered AS (
  SELECT i.*, coalesce(c.version, 0) AS current_version, x.expected_version,
         coalesce(c.version, 0) + row_number() OVER (PARTITION BY i.aggregate_id ORDER BY i.ord) AS aggregate_version
  FROM input i
  LEFT JOIN current c USING (aggregate_id)
  LEFT JOIN expected x USING (aggregate_id)
),
inserted AS (
  INSERT INTO ${s}.events (event_id, type, aggregate_id, aggregate_version, occurred_at, actor, correlation_id, causation_id, data)
  SELECT event_id, type, aggregate_id, aggregate_version, $7::timestamptz, $8, $9, $10, data
  FROM numbered
  WHERE NOT EXISTS (SELECT 1 FROM numbered WHERE expected_version IS NOT NULL AND expected_version <> current_version)
  ORDER BY ord
  RETURNING global_position, event_id, aggregate_version
),
queued AS (
  INSERT INTO ${s}.outbox (global_position) SELECT global_position FROM inserted
)
SELECT global_position, event_id, aggregate_version FROM inserted ORDER BY global_position`,
);

const READ_STREAM = perContext((s) => `SELECT ${EVENT_COLUMNS} FROM ${s}.events WHERE aggregate_id = $1 AND aggregate_version > $2 ORDER BY aggregate_version`);

// Newest first, below a version (a page of a long stream: a run's holds every metric batch); the
// unique (aggregate_id, aggregate_version) index serves it backwards. `$4`: event types to leave out.
const READ_STREAM_BACKWARD = perContext(
  (s) => `SELECT ${EVENT_COLUMNS} FROM ${s}.events
   WHERE aggregate_id = $1 AND aggregate_version < $2 AND NOT (type = ANY($4::text[]))
   ORDER BY aggregate_version DESC LIMIT $3`,
);

const READ_ALL = perContext((s) => `SELECT ${EVENT_COLUMNS} FROM ${s}.events WHERE global_position > $1 ORDER BY global_position LIMIT $2`);

const READ_AT = perContext((s) => `SELECT ${EVENT_COLUMNS} FROM ${s}.events WHERE global_position = ANY($1::bigint[]) ORDER BY global_position`);

// occurred_at bounds are optional (NULL: unbounded); the scan is by position, the filter by time.
const READ_BETWEEN = perContext(
  (s) => `SELECT ${EVENT_COLUMNS} FROM ${s}.events
WHERE global_position > $1
  AND ($2::timestamptz IS NULL OR occurred_at >= $2::timestamptz)
  AND ($3::timestamptz IS NULL OR occurred_at < $3::timestamptz)
ORDER BY global_position LIMIT $4`,
);

const typeSchema = eventEnvelopeSchema.shape.type;
const aggregateIdSchema = eventEnvelopeSchema.shape.aggregateId;

/** A unique-index violation on (aggregate, version) means another writer appended first. */
function concurrencyErrorOf(error: unknown, context: ContextName, aggregateIds: string[], expectedVersion: ExpectedVersion | undefined): unknown {
  return isUniqueViolation(error, 'events_aggregate_version_unique') ? new ConcurrencyError(context, aggregateIds, expectedVersion, { cause: error }) : error;
}

/**
 * The append-only event store of every context. Command handlers call `append` inside the
 * transaction that also updates their inline read model, so events, read model and outbox commit
 * or roll back together.
 */
export class EventStore {
  private readonly clock: Clock;
  private readonly newEventId: () => string;

  constructor(options: EventStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.newEventId = options.newEventId ?? uuidv7;
  }

  /**
   * Appends `events` (in order) to `context`'s log and queues them in its outbox; returns their
   * envelopes. With `expectedVersion`, the append fails with ConcurrencyError unless each aggregate
   * is still at that version; without it, versions continue from the stored ones (a concurrent
   * append to the same aggregate still fails rather than interleave). On ConcurrencyError the
   * transaction is aborted: roll it back, reload, decide again.
   */
  async append<E extends NewEvent>(
    uow: UnitOfWork,
    context: ContextName,
    events: readonly E[],
    metadata: EventMetadata,
    expectedVersion?: ExpectedVersion,
    at?: Date,
  ): Promise<Array<EventEnvelope<E['data']>>> {
    if (events.length === 0) return [];
    const { statement, ids, occurredAt, aggregateIds } = this.appendStatement(context, events, metadata, expectedVersion, at);

    let rows: Array<{ global_position: string; event_id: string; aggregate_version: number }>;
    try {
      ({ rows } = await uow.query(statement));
    } catch (error) {
      throw concurrencyErrorOf(error, context, aggregateIds, expectedVersion);
    }
    if (rows.length === 0) throw new ConcurrencyError(context, aggregateIds, expectedVersion);

    const versionOf = new Map(rows.map((row) => [row.event_id, row.aggregate_version]));
    return events.map((event, i) => {
      const aggregateVersion = versionOf.get(ids[i]);
      if (aggregateVersion === undefined) throw new Error(`event ${ids[i]} was not stored`);
      return {
        eventId: ids[i],
        type: event.type,
        context,
        aggregateId: event.aggregateId,
        aggregateVersion,
        occurredAt,
        actor: metadata.actor,
        correlationId: metadata.correlationId,
        causationId: metadata.causationId,
        data: event.data,
      };
    });
  }

  /**
   * `append` queued to run at commit, in the same round trip as the COMMIT (`UnitOfWork.atCommit`),
   * for a command that needs nothing back from it. Without an expected version
   * only: versions continue from the stored ones, and a concurrent append to the same aggregate
   * still fails the transaction (as a ConcurrencyError, thrown by the commit). Invalid events throw here.
   * `occurredAt` (default: the store's clock now) is for a caller that projected the events first and
   * stamped the read model with their time.
   */
  appendAtCommit(uow: UnitOfWork, context: ContextName, events: readonly NewEvent[], metadata: EventMetadata, occurredAt?: Date): void {
    if (events.length === 0) return;
    const { statement, aggregateIds } = this.appendStatement(context, events, metadata, undefined, occurredAt);
    uow.atCommit({ ...statement, mapError: (error) => concurrencyErrorOf(error, context, aggregateIds, undefined) });
  }

  private appendStatement(
    context: ContextName,
    events: readonly NewEvent[],
    metadata: EventMetadata,
    expectedVersion: ExpectedVersion | undefined,
    at: Date = new Date(this.clock.now()),
  ) {
    for (const event of events) {
      if (!typeSchema.safeParse(event.type).success)
        throw new Error(`invalid event type ${JSON.stringify(event.type)}: must look like context.entity.action.vN`);
      if (!aggregateIdSchema.safeParse(event.aggregateId).success) throw new Error(`event ${event.type} has an empty aggregate id`);
    }
    const aggregateIds = [...new Set(events.map((event) => event.aggregateId))];
    const expected = expectedVersions(expectedVersion, aggregateIds);
    const ids = events.map(() => this.newEventId());
    const occurredAt = at.toISOString();
    // Named: every command of every context runs this statement, so each pooled connection parses
    // and plans it once instead of per call (for a one-point write that was half its cost).
    const statement = {
      name: `eventing.append.${context}`,
      text: APPEND(context),
      values: [
        ids,
        events.map((event) => event.type),
        events.map((event) => event.aggregateId),
        // One JSON document, not a jsonb[] literal: pg escapes array elements character by character,
        // which dominated the cost of a 1000-point MetricsLogged event.
        JSON.stringify(events.map((event) => event.data ?? null)),
        [...expected.keys()],
        [...expected.values()],
        occurredAt,
        metadata.actor,
        metadata.correlationId,
        metadata.causationId,
      ],
    };
    return { statement, ids, occurredAt, aggregateIds };
  }

  /** The events of one aggregate in version order, optionally only those after `afterVersion`. */
  async readStream(sql: Sql, context: ContextName, aggregateId: string, afterVersion = 0): Promise<EventEnvelope[]> {
    const { rows } = await sql.query<EventRow>(READ_STREAM(context), [aggregateId, afterVersion]);
    return rows.map((row) => envelopeOfRow(row, context));
  }

  /** Up to `limit` events of one aggregate below `beforeVersion`, newest first, without those of `excludedTypes`. */
  async readStreamBackward(
    sql: Sql,
    context: ContextName,
    aggregateId: string,
    beforeVersion: number,
    limit: number,
    excludedTypes: readonly string[] = [],
  ): Promise<EventEnvelope[]> {
    const { rows } = await sql.query<EventRow>(READ_STREAM_BACKWARD(context), [aggregateId, beforeVersion, limit, excludedTypes]);
    return rows.map((row) => envelopeOfRow(row, context));
  }

  /**
   * Up to `limit` events of the context after `afterPosition` (0 = from the start), in position
   * order: for rebuilding read models. Positions are drawn before commit, so while writers are
   * active a concurrent transaction can still commit a lower position than one already read; a
   * rebuild that must not miss events reads from a quiesced log or re-checks with the inbox.
   */
  async readAll(sql: Sql, context: ContextName, afterPosition: number, limit: number): Promise<StoredEvent[]> {
    const { rows } = await sql.query<EventRow>(READ_ALL(context), [afterPosition, limit]);
    return rows.map((row) => ({ position: Number(row.global_position), envelope: envelopeOfRow(row, context) }));
  }

  /** The events at these positions, in position order (a rebuild's catch-up of those it has not applied). */
  async readAt(sql: Sql, context: ContextName, positions: readonly number[]): Promise<StoredEvent[]> {
    if (positions.length === 0) return [];
    const { rows } = await sql.query<EventRow>(READ_AT(context), [positions]);
    return rows.map((row) => ({ position: Number(row.global_position), envelope: envelopeOfRow(row, context) }));
  }

  /** Like `readAll`, only events that occurred in [since, until) (either bound optional): for the audit export. */
  async readBetween(sql: Sql, context: ContextName, afterPosition: number, limit: number, since?: Date, until?: Date): Promise<StoredEvent[]> {
    const { rows } = await sql.query<EventRow>(READ_BETWEEN(context), [afterPosition, since?.toISOString() ?? null, until?.toISOString() ?? null, limit]);
    return rows.map((row) => ({ position: Number(row.global_position), envelope: envelopeOfRow(row, context) }));
  }
}

function expectedVersions(expectedVersion: ExpectedVersion | undefined, aggregateIds: readonly string[]): Map<string, number> {
  const expected = new Map<string, number>();
  if (expectedVersion === undefined) return expected;
  if (typeof expectedVersion === 'number') {
    if (aggregateIds.length !== 1) throw new Error('a single expected version needs events of a single aggregate; pass a version per aggregate id');
    expected.set(aggregateIds[0], expectedVersion);
  } else {
    for (const [aggregateId, version] of Object.entries(expectedVersion)) if (aggregateIds.includes(aggregateId)) expected.set(aggregateId, version);
  }
  for (const version of expected.values()) {
    if (!Number.isInteger(version) || version < 0) throw new Error(`expected version must be a non-negative integer, got ${version}`);
  }
  return expected;
}
