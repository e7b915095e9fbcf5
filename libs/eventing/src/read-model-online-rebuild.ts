import type { ContextName } from '@cairn/contracts';
import type { DeferredStatement, NamedStatement, Sql, UnitOfWork } from '@cairn/platform';
import { EventStore, type StoredEvent } from './event-store';
import { errorFields, silentLogger, type Logger } from './logger';
import type { ReadModelRebuild } from './read-model-rebuild';
import type { ReadModelCheck } from './read-model-verify';
import { schemaOf, type EventingDatabase } from './sql';

/*
 * An online rebuild (ADR 0015): the context's projection replays its logs into shadow copies of its
 * tables while the live ones keep serving reads and writes, catches up with what was committed
 * meanwhile, and swaps the rows in at the end in one transaction.
 *
 *   build     – each log in position order, a batch per transaction, into `cairn_rebuild_<context>`;
 *               every replayed position is recorded (`applied`).
 *   catch up  – the events of each log not yet applied (an anti-join, not "after the last position":
 *               a writer draws its position before it commits, so a lower one can appear later).
 *   swap      – one transaction: the live tables locked EXCLUSIVE (writers wait, readers do not), a
 *               last catch-up, then TRUNCATE (readers wait from here) and INSERT … SELECT from the
 *               shadows. A writer that had touched a live table before the lock has committed, so
 *               its events are in the last catch-up; one that had not writes into the swapped tables
 *               after the commit, and its events were not visible to the catch-up: nothing is lost
 *               and nothing applied twice.
 */

export type RebuildPhase = 'building' | 'catching_up' | 'swapping' | 'done';
export type RebuildState = 'running' | 'succeeded' | 'failed';

export interface RebuildProgress {
  context: ContextName;
  state: RebuildState;
  phase: RebuildPhase;
  eventsApplied: number;
  /** Events of the logs when the rebuild started, plus those committed since that it has found. */
  eventsTotal: number;
  startedAt: string;
  finishedAt: string | null;
  startedBy: string | null;
  error: string | null;
}

export class RebuildAlreadyRunningError extends Error {
  constructor(readonly context: ContextName) {
    super(`a rebuild of the ${context} read model is already running`);
  }
}

export interface OnlineRebuildOptions {
  startedBy?: string | null;
  logger?: Logger;
  /** Events per build transaction. */
  batchSize?: number;
}

export interface StartedRebuild {
  progress: RebuildProgress;
  /** Settles when the rebuild ends; never rejects (a failure is a progress with state 'failed'). */
  finished: Promise<RebuildProgress>;
}

const IDENT = /^[a-z_]+$/;
/** The widest hole in a log's positions the build remembers, to apply what commits into it later (see run). */
const MAX_GAP = 10_000;
const LOCK_NOT_AVAILABLE = '55P03';
const SWAP_LOCK_TIMEOUT = '5s';
const SWAP_ATTEMPTS = 5;
const SWAP_RETRY_PAUSE_MS = 1_000;
const TABLE = /^([a-z_]+)\.([a-z_]+)$/;
const shadowSchema = (context: ContextName): string => `cairn_rebuild_${context}`;
const lockKey = (context: ContextName): string => `cairn.read_model_rebuild.${context}`;

const TRY_LOCK = `SELECT pg_try_advisory_lock(hashtext($1)) AS locked`;
const UNLOCK = `SELECT pg_advisory_unlock(hashtext($1)) AS unlocked`;
// Whether some session holds that lock: a bigint advisory key is split into classid (high 32 bits) and objid.
const LOCK_HELD = `
SELECT EXISTS (
  SELECT 1 FROM pg_locks, (SELECT hashtext($1)::bigint AS k) key
  WHERE locktype = 'advisory' AND granted AND objsubid = 1
    AND classid = ((key.k >> 32) & 4294967295)::oid AND objid = (key.k & 4294967295)::oid
) AS held`;

const PROGRESS_COLUMNS = `context, state, phase, events_applied, events_total, started_at, finished_at, started_by, error`;
interface ProgressRow {
  context: ContextName;
  state: RebuildState;
  phase: RebuildPhase;
  events_applied: string;
  events_total: string;
  started_at: Date;
  finished_at: Date | null;
  started_by: string | null;
  error: string | null;
}
const progressOf = (row: ProgressRow): RebuildProgress => ({
  context: row.context,
  state: row.state,
  phase: row.phase,
  eventsApplied: Number(row.events_applied),
  eventsTotal: Number(row.events_total),
  startedAt: row.started_at.toISOString(),
  finishedAt: row.finished_at?.toISOString() ?? null,
  startedBy: row.started_by,
  error: row.error,
});

/** The latest rebuild of a context's read model, as any replica sees it (it is kept in the shadow schema), or null if none ran. */
export async function readRebuildProgress(sql: Sql, context: ContextName): Promise<RebuildProgress | null> {
  const schema = shadowSchema(context);
  const { rows: exists } = await sql.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [`${schema}.progress`]);
  if (exists[0]?.t == null) return null;
  const { rows } = await sql.query<ProgressRow>(`SELECT ${PROGRESS_COLUMNS} FROM ${schema}.progress`);
  if (rows[0] === undefined) return null;
  const progress = progressOf(rows[0]);
  // 'running' with nobody holding the lock: the process running it died (its shadows are unlogged leftovers).
  if (progress.state === 'running' && !(await sql.query<{ held: boolean }>(LOCK_HELD, [lockKey(context)])).rows[0]?.held)
    return { ...progress, state: 'failed', error: 'interrupted: the process running it stopped before the swap; the live read model is unchanged' };
  return progress;
}

/**
 * The projection's SQL pointed at the shadow tables: every schema-qualified name of a rebuilt (or
 * scratch) table is replaced by its shadow's, and named statements get a name of their own (a
 * connection prepares a name once, and the same name must not mean two texts).
 */
export function shadowRewriter(context: ContextName, tables: readonly string[]): (text: string) => string {
  const schema = shadowSchema(context);
  const rules = tables.map((qualified) => {
    const m = TABLE.exec(qualified);
    if (m === null) throw new Error(`not a schema-qualified table name: ${JSON.stringify(qualified)}`);
    return { pattern: new RegExp(`(?<![\\w."])(?:"${m[1]}"|${m[1]})\\.(?:"${m[2]}"|${m[2]})(?![\\w"])`, 'g'), replacement: `${schema}.${m[2]}` };
  });
  return (text) => rules.reduce((t, rule) => t.replace(rule.pattern, rule.replacement), text);
}

function shadowed(tx: UnitOfWork, rewrite: (text: string) => string): UnitOfWork {
  const query = (textOrStatement: string | NamedStatement, params?: readonly unknown[]) =>
    typeof textOrStatement === 'string'
      ? tx.query(rewrite(textOrStatement), params)
      : tx.query({ ...textOrStatement, name: `${textOrStatement.name}.rebuild`, text: rewrite(textOrStatement.text) });
  return {
    query: query as UnitOfWork['query'],
    atCommit: (statement: DeferredStatement) =>
      tx.atCommit({ ...statement, name: statement.name === undefined ? undefined : `${statement.name}.rebuild`, text: rewrite(statement.text) }),
  };
}

const shortName = (qualified: string): string => (TABLE.exec(qualified) as RegExpExecArray)[2];

// Parents before children, so the swap's inserts satisfy the live tables' foreign keys.
const FOREIGN_KEYS = `
SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent
FROM pg_constraint
WHERE contype = 'f' AND conrelid = ANY($1::regclass[]) AND confrelid = ANY($1::regclass[]) AND conrelid <> confrelid`;

async function insertOrder(sql: Sql, tables: readonly string[]): Promise<string[]> {
  const { rows } = await sql.query<{ child: string; parent: string }>(FOREIGN_KEYS, [tables]);
  const ordered: string[] = [];
  const visit = (table: string, path: readonly string[]) => {
    if (ordered.includes(table) || path.includes(table)) return;
    for (const { parent } of rows.filter((r) => r.child === table)) visit(parent, [...path, table]);
    ordered.push(table);
  };
  for (const table of tables) visit(table, []);
  return ordered;
}

/**
 * Starts an online rebuild of `check`'s read model: takes the context's rebuild lock (a session-level
 * advisory lock, so one rebuild per context across replicas), creates the shadow tables and returns;
 * the build, catch-up and swap go on in the background (`finished`).
 */
export async function startOnlineRebuild(database: EventingDatabase, check: ReadModelCheck, options: OnlineRebuildOptions = {}): Promise<StartedRebuild> {
  const { context } = check;
  const logger = options.logger ?? silentLogger;
  const batchSize = options.batchSize ?? 500;
  const schema = shadowSchema(context);
  if (!IDENT.test(schema)) throw new Error(`bad shadow schema ${schema}`);

  // Refused at once while another rebuild holds the lock: the dedicated sessions are few (the relays' and
  // leaders' locks), and a start that waited for one until the running rebuild ended and gave its
  // session back would then take the lock and start a second rebuild instead of being refused.
  if ((await database.query<{ held: boolean }>(LOCK_HELD, [lockKey(context)])).rows[0]?.held) throw new RebuildAlreadyRunningError(context);
  const session = await database.session();
  let locked = false;
  try {
    locked = (await session.query<{ locked: boolean }>(TRY_LOCK, [lockKey(context)])).rows[0]?.locked === true;
  } finally {
    if (!locked) session.release();
  }
  if (!locked) throw new RebuildAlreadyRunningError(context);
  let unlocked = false;
  const unlock = async () => {
    unlocked = (await session.query<{ unlocked: boolean }>(UNLOCK, [lockKey(context)]).catch(() => null))?.rows[0]?.unlocked === true;
  };

  const store = new EventStore();
  let plan: Pick<ReadModelRebuild, 'tables' | 'scratch' | 'replays'>;
  let rewrite: (text: string) => string;
  try {
    plan = await database.transaction(async (tx) => {
      const p = check.plan(tx);
      const shadows = [...p.tables, ...(p.scratch ?? [])];
      const names = shadows.map(shortName);
      if (new Set(names).size !== names.length || names.includes('applied') || names.includes('progress'))
        throw new Error(`shadow table names collide: ${names.join(', ')}`);
      await tx.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await tx.query(`CREATE SCHEMA ${schema}`);
      // UNLOGGED: a crash loses the shadows, and the rebuild is run again. Foreign keys are not copied
      // (each shadow fills in the live tables' order of events, not of parents first).
      for (const table of shadows)
        await tx.query(`CREATE UNLOGGED TABLE ${schema}.${shortName(table)} (LIKE ${table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`);
      await tx.query(`CREATE UNLOGGED TABLE ${schema}.applied (replay int NOT NULL, position bigint NOT NULL, PRIMARY KEY (replay, position))`);
      await tx.query(
        `CREATE TABLE ${schema}.progress (context text NOT NULL, state text NOT NULL, phase text NOT NULL, events_applied bigint NOT NULL,
          events_total bigint NOT NULL, started_at timestamptz NOT NULL, finished_at timestamptz, started_by text, error text)`,
      );
      let total = 0;
      for (const replay of p.replays)
        total += Number((await tx.query<{ n: string }>(`SELECT count(*) AS n FROM ${schemaOf(replay.log)}.events`)).rows[0]?.n ?? 0);
      await tx.query(`INSERT INTO ${schema}.progress VALUES ($1, 'running', 'building', 0, $2, now(), NULL, $3, NULL)`, [
        context,
        total,
        options.startedBy ?? null,
      ]);
      rewrite = shadowRewriter(context, shadows);
      return p;
    });
  } catch (error) {
    await unlock();
    session.release(!unlocked);
    throw error;
  }
  const progress = (await readRebuildProgress(database, context)) as RebuildProgress;
  logger.info({ context, eventsTotal: progress.eventsTotal, startedBy: options.startedBy ?? null }, 'read model rebuild started');

  const setPhase = (sql: Sql, phase: RebuildPhase) => sql.query(`UPDATE ${schema}.progress SET phase = $1`, [phase]);

  /** Applies `events` of replay `index` into the shadows within `tx`, and records them as applied. */
  const applyInto = async (tx: UnitOfWork, index: number, events: readonly StoredEvent[]) => {
    if (events.length === 0) return;
    const replay = check.plan(shadowed(tx, rewrite)).replays[index];
    for (const { envelope } of events) await replay.apply(envelope);
    const positions = events.map((e) => e.position);
    await tx.query(`INSERT INTO ${schema}.applied (replay, position) SELECT $1, unnest($2::bigint[])`, [index, positions]);
    // The build reads to the end of the log as it is then: writes committed since the start count too.
    await tx.query(`UPDATE ${schema}.progress SET events_applied = events_applied + $1, events_total = GREATEST(events_total, events_applied + $1)`, [
      events.length,
    ]);
  };

  /** Positions of replay `index`'s log not applied yet, oldest first (all of them, or up to `limit`). */
  const missing = async (sql: Sql, index: number, limit: number): Promise<number[]> => {
    const log = plan.replays[index].log;
    const { rows } = await sql.query<{ position: string }>(
      `SELECT e.global_position AS position FROM ${schemaOf(log)}.events e
       WHERE NOT EXISTS (SELECT 1 FROM ${schema}.applied a WHERE a.replay = $1 AND a.position = e.global_position)
       ORDER BY e.global_position LIMIT $2`,
      [index, limit],
    );
    return rows.map((r) => Number(r.position));
  };

  /** One pass over every log: applies what is missing, in batches; returns how many were. */
  const catchUp = async (tx: UnitOfWork | null): Promise<number> => {
    let caught = 0;
    for (let index = 0; index < plan.replays.length; index++) {
      const log = plan.replays[index].log;
      for (;;) {
        const work = async (uow: UnitOfWork) => {
          const positions = await missing(uow, index, batchSize);
          const events = await store.readAt(uow, log, positions);
          await uow.query(`UPDATE ${schema}.progress SET events_total = events_total + $1`, [events.length]);
          await applyInto(uow, index, events);
          return positions.length;
        };
        const n = tx === null ? await database.transaction(work) : await work(tx);
        caught += n;
        if (n < batchSize) break;
      }
    }
    return caught;
  };

  const run = async (): Promise<void> => {
    for (let index = 0; index < plan.replays.length; index++) {
      const log = plan.replays[index].log;
      let after = 0;
      // Positions at or below `after` that were not there when read past: a writer's that had not
      // committed (or one rolled back, which stays a gap). Each batch applies those now committed first.
      let gaps: number[] = [];
      for (;;) {
        const { late, batch } = await database.transaction(async (tx) => {
          // One snapshot for both reads: an event of the page is never applied before an earlier event
          // of its aggregate, which committed before it and so is in the same snapshot (ADR 0015).
          await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
          const lateEvents = gaps.length === 0 ? [] : await store.readAt(tx, log, gaps);
          await applyInto(tx, index, lateEvents);
          const events = await store.readAll(tx, log, after, batchSize);
          await applyInto(tx, index, events);
          return { late: lateEvents.map((e) => e.position), batch: events };
        });
        gaps = gaps.filter((position) => !late.includes(position));
        for (const { position } of batch) {
          // A jump wider than a few batches is the sequence moved on (a restore), not writers in flight;
          // an event committed into it is still applied, by the catch-up.
          if (position - after - 1 <= MAX_GAP) for (let p = after + 1; p < position; p++) gaps.push(p);
          after = position;
        }
        if (batch.length < batchSize) break;
      }
    }
    await setPhase(database, 'catching_up');
    // Shrink the gap while writers run, so the swap's own catch-up (under the lock) is short.
    for (let round = 0; round < 5; round++) if ((await catchUp(null)) < batchSize) break;

    await setPhase(database, 'swapping');
    for (let attempt = 1; ; attempt++) {
      try {
        await swap();
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE || attempt >= SWAP_ATTEMPTS) throw error;
        logger.warn({ context, attempt }, 'read model rebuild: the swap waited too long for a lock (a long reader?); trying again');
        await new Promise((resolve) => setTimeout(resolve, SWAP_RETRY_PAUSE_MS));
      }
    }
  };

  const swap = () =>
    database.transaction(async (tx) => {
      // The last catch-up and the copy hold the lock; bounded by the rows, not by the request timeout.
      await tx.query(`SET LOCAL statement_timeout = 0`);
      // Never queued for long behind a long reader (a backup: TRUNCATE waits for it), with writers queued behind the swap.
      await tx.query(`SET LOCAL lock_timeout = '${SWAP_LOCK_TIMEOUT}'`);
      await tx.query(`LOCK TABLE ${plan.tables.join(', ')} IN EXCLUSIVE MODE`);
      await catchUp(tx);
      const live = check.plan(tx);
      for (const statement of live.keep?.save ?? []) await tx.query(statement);
      await tx.query(`TRUNCATE ${plan.tables.join(', ')}`);
      for (const table of await insertOrder(tx, plan.tables)) await tx.query(`INSERT INTO ${table} SELECT * FROM ${schema}.${shortName(table)}`);
      for (const statement of live.keep?.restore ?? []) await tx.query(statement);
      await tx.query(`UPDATE ${schema}.progress SET phase = 'done', state = 'succeeded', finished_at = now()`);
    });

  const dropShadows = async () => {
    for (const name of [...[...plan.tables, ...(plan.scratch ?? [])].map(shortName), 'applied'])
      await database.query(`DROP TABLE IF EXISTS ${schema}.${name}`).catch(() => undefined);
  };

  const finished = (async (): Promise<RebuildProgress> => {
    const started = Date.now();
    try {
      await run();
      const done = (await readRebuildProgress(database, context)) as RebuildProgress;
      logger.info({ context, eventsApplied: done.eventsApplied, ms: Date.now() - started }, 'read model rebuilt and swapped in');
      return done;
    } catch (error) {
      logger.error({ context, ...errorFields(error) }, 'read model rebuild failed; the live read model is unchanged');
      await database
        .query(`UPDATE ${schema}.progress SET state = 'failed', finished_at = now(), error = $1`, [error instanceof Error ? error.message : String(error)])
        .catch(() => undefined);
      return (await readRebuildProgress(database, context).catch(() => null)) ?? { ...progress, state: 'failed', error: String(error) };
    } finally {
      await dropShadows();
      await unlock();
      try {
        // A session whose unlock failed may still hold the lock: destroyed, never back in the pool.
        session.release(!unlocked);
      } catch {
        // the pool closed under it (the process is stopping): the session, and its lock, are gone anyway
      }
    }
  })();
  return { progress, finished };
}
