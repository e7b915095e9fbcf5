/*
 * Shared fixtures of the eventing integration tests (not part of the public API): a fresh migrated
 * database per test file, the buses under test, a tiny counter projection, and waiting helpers.
 */
import { randomBytes } from 'node:crypto';
import type { ContextName, EventEnvelope, NewEvent } from '@cairn/contracts';
import { Database, defaultMigrationsDirectory, migrate, readMigrations } from '@cairn/platform';
import { createTestDatabase, testEndpoints, waitFor, type TestDatabase } from '@cairn/testing';
import type { DeliveryOutcome, EventBus, EventHandler } from '../event-bus';
import { EventStore } from '../event-store';
import { InProcessEventBus } from '../in-process/in-process-event-bus';
import { KafkaEventBus } from '../kafka/kafka-event-bus';
import { silentLogger, type Logger } from '../logger';
import type { Sql } from '@cairn/platform';

export { waitFor };

/** Set CAIRN_TEST_EVENTING_LOG=1 to see what the relay, the buses and kafkajs say. */
export const testLogger: Logger =
  process.env.CAIRN_TEST_EVENTING_LOG === '1'
    ? {
        debug: () => undefined,
        info: (fields, message) => console.info(message, fields),
        warn: (fields, message) => console.warn(message, fields),
        error: (fields, message) => console.error(message, fields),
      }
    : silentLogger;

export const unique = (label: string): string => `${label}-${randomBytes(5).toString('hex')}`;

export interface EventingTestDatabase {
  db: Database;
  /** Empties the event tables of every context and the test projection. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** The migrations of this lib's tables: the backbone, and the dead letters' operator columns. */
const EVENTING_MIGRATIONS = ['0001_event_backbone', '0016_dead_letter_operations'];

/**
 * A database of its own for one test file, with only this lib's migrations applied (through the
 * project's migrator) plus the test projection's tables.
 */
export async function createEventingTestDatabase(): Promise<EventingTestDatabase> {
  const testDatabase: TestDatabase = await createTestDatabase({ migrated: false, prefix: 'evt' });
  await migrate(
    testDatabase.url,
    readMigrations(defaultMigrationsDirectory()).filter((migration) => EVENTING_MIGRATIONS.includes(migration.name)),
  );
  const db = new Database(testDatabase.url, { max: 30 });
  await db.query(COUNTER_PROJECTION_DDL);
  return {
    db,
    reset: async () => {
      await db.query(
        `TRUNCATE ${['tracking', 'artifacts', 'registry', 'webhooks']
          .flatMap((s) => ['events', 'outbox', 'inbox', 'consumer_offsets', 'dead_letters'].map((t) => `${s}.${t}`))
          .join(', ')}, eventing_test.applied, eventing_test.counters RESTART IDENTITY`,
      );
    },
    close: async () => {
      await db.close();
      await testDatabase.drop();
    },
  };
}

// ─── buses under test ─────────────────────────────────────────────────────────────────────────

export interface BusFixture {
  name: 'in-process' | 'kafka';
  create(db: Database): EventBus;
}

export const inProcessFixture: BusFixture = {
  name: 'in-process',
  create: (db) => new InProcessEventBus({ database: db, logger: testLogger }),
};

export const kafkaFixture: BusFixture = {
  name: 'kafka',
  create: (db) =>
    new KafkaEventBus({
      brokers: testEndpoints.kafkaBrokers().split(','),
      clientId: unique('eventing-test'),
      database: db,
      logger: testLogger,
      partitions: 3,
      // Short fetch waits keep consumer stops quick.
      consumer: { maxWaitTimeInMs: 250, sessionTimeout: 10_000, heartbeatInterval: 1_000 },
    }),
};

/** A Kafka topic name of this test's own; the in-process bus accepts any string too. */
export const uniqueTopic = (): string => `cairn.test.${randomBytes(6).toString('hex')}.v1`;

// ─── producing events ─────────────────────────────────────────────────────────────────────────

export const metadata = { actor: 'contract-test', correlationId: null, causationId: null };
export const store = new EventStore();

/** Appends in one transaction, like a command handler, to the tracking context. */
export async function append(db: Database, events: Array<NewEvent<string, unknown>>, context: ContextName = 'tracking'): Promise<EventEnvelope[]> {
  return db.transaction((tx) => store.append(tx, context, events, metadata));
}

export const counted = (aggregateId: string, data: Record<string, unknown> = {}): NewEvent<string, unknown> => ({
  type: 'tracking.counter.incremented.v1',
  aggregateId,
  data,
});

/**
 * Appends `perAggregate` events to each of `aggregates`, interleaved: many small transactions,
 * several in flight at once, plus mixed multi-aggregate batches. Returns every appended envelope.
 */
export async function appendInterleaved(db: Database, aggregates: readonly string[], perAggregate: number): Promise<EventEnvelope[]> {
  const left = new Map(aggregates.map((a) => [a, perAggregate]));
  const take = (a: string, n: number) => {
    const k = Math.min(n, left.get(a) ?? 0);
    left.set(a, (left.get(a) ?? 0) - k);
    return Array.from({ length: k }, () => counted(a));
  };
  const appended: EventEnvelope[] = [];
  for (let round = 1; [...left.values()].some((n) => n > 0); round++) {
    const live = aggregates.filter((a) => (left.get(a) ?? 0) > 0);
    if (round % 3 === 0) {
      // One transaction with events of several aggregates, interleaved: a1 a2 a3 a1 a2 a3.
      const some = live.slice(0, 4);
      const events = [...some.flatMap((a) => take(a, 1)), ...some.flatMap((a) => take(a, 1))];
      appended.push(...(await append(db, events)));
    } else {
      // Concurrent single-aggregate transactions of 1–3 events each.
      const results = await Promise.all(live.map((a, i) => append(db, take(a, 1 + ((i + round) % 3)))));
      appended.push(...results.flat());
    }
  }
  return appended;
}

// ─── the test projection ──────────────────────────────────────────────────────────────────────

const COUNTER_PROJECTION_DDL = `
CREATE SCHEMA IF NOT EXISTS eventing_test;
-- Every apply, deliberately without a unique key: a double apply would show as a second row.
CREATE TABLE IF NOT EXISTS eventing_test.applied (
  seq bigserial PRIMARY KEY, consumer text NOT NULL, event_id uuid NOT NULL,
  aggregate_id text NOT NULL, aggregate_version integer NOT NULL);
CREATE TABLE IF NOT EXISTS eventing_test.counters (
  consumer text NOT NULL, aggregate_id text NOT NULL, applied integer NOT NULL, last_version integer NOT NULL,
  PRIMARY KEY (consumer, aggregate_id));`;

/** The read model the contract tests watch: a counter per aggregate and a log of applies. */
export const counterProjection =
  (consumer: string): EventHandler =>
  async (event, tx) => {
    await tx.query('INSERT INTO eventing_test.applied (consumer, event_id, aggregate_id, aggregate_version) VALUES ($1, $2, $3, $4)', [
      consumer,
      event.eventId,
      event.aggregateId,
      event.aggregateVersion,
    ]);
    await tx.query(
      `INSERT INTO eventing_test.counters (consumer, aggregate_id, applied, last_version) VALUES ($1, $2, 1, $3)
       ON CONFLICT (consumer, aggregate_id) DO UPDATE SET applied = counters.applied + 1, last_version = EXCLUDED.last_version`,
      [consumer, event.aggregateId, event.aggregateVersion],
    );
  };

export interface AppliedRow {
  event_id: string;
  aggregate_id: string;
  aggregate_version: number;
}

export async function appliedRows(sql: Sql, consumer: string): Promise<AppliedRow[]> {
  const { rows } = await sql.query<AppliedRow>('SELECT event_id, aggregate_id, aggregate_version FROM eventing_test.applied WHERE consumer = $1 ORDER BY seq', [
    consumer,
  ]);
  return rows;
}

export async function appliedCount(sql: Sql, consumer: string): Promise<number> {
  const { rows } = await sql.query<{ n: string }>('SELECT count(*) AS n FROM eventing_test.applied WHERE consumer = $1', [consumer]);
  return Number(rows[0].n);
}

export async function counters(sql: Sql, consumer: string): Promise<Record<string, { applied: number; lastVersion: number }>> {
  const { rows } = await sql.query<{ aggregate_id: string; applied: number; last_version: number }>(
    'SELECT aggregate_id, applied, last_version FROM eventing_test.counters WHERE consumer = $1 ORDER BY aggregate_id',
    [consumer],
  );
  return Object.fromEntries(rows.map((r) => [r.aggregate_id, { applied: r.applied, lastVersion: r.last_version }]));
}

/** Versions in the order they were applied, per aggregate. */
export function versionsByAggregate(rows: readonly AppliedRow[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const row of rows) (out[row.aggregate_id] ??= []).push(row.aggregate_version);
  return out;
}

export async function unsentCount(sql: Sql, context: ContextName = 'tracking'): Promise<number> {
  const { rows } = await sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${context}.outbox`);
  return Number(rows[0].n);
}

/** Counts outcomes reported by a subscription. */
export class OutcomeCounter {
  readonly counts: Record<DeliveryOutcome, number> = { applied: 0, skipped: 0, duplicate: 0, dead_lettered: 0 };
  readonly onOutcome = (outcome: DeliveryOutcome): void => {
    this.counts[outcome]++;
  };

  /** Waits until the count of `outcome` reaches at least `n`. */
  async reach(outcome: DeliveryOutcome, n: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(() => (this.counts[outcome] >= n ? true : undefined), { timeoutMs, message: `${n} × ${outcome} (have ${JSON.stringify(this.counts)})` });
  }
}

/** A promise with its resolve exposed, for gates and signals in tests. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
