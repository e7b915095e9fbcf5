import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { migrationMarkers, splitStatements } from './sql-statements';

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

// Any constant works; it only has to be the same in every service so concurrent starts serialize.
const MIGRATION_LOCK_KEY = 0x0ca1_2e5;

/**
 * How long a migration statement may wait for a lock before it fails (CAIRN_MIGRATION_LOCK_TIMEOUT_MS).
 * An ALTER TABLE queued behind one long transaction blocks every request behind it for as long as it
 * waits; failing after seconds (and rerunning the Job) costs less than an outage (ADR 0011).
 */
export const DEFAULT_MIGRATION_LOCK_TIMEOUT_MS = 5_000;

// A waiting migrator polls instead of blocking in pg_advisory_lock: a blocked call keeps a snapshot
// open, and CREATE INDEX CONCURRENTLY in the migrator holding the lock would wait for that snapshot.
const LOCK_POLL_MS = 200;

export interface MigrateOptions {
  lockTimeoutMs?: number;
}

/** Reads `<dir>/<name>/migration.sql` in name order (Prisma's layout, applied by our own migrator). */
export function readMigrations(directory: string): Migration[] {
  return readdirSync(directory, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(directory, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(directory, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** The nearest `relative` path above `from` (source tree or `dist/`), e.g. the repo's package.json. */
export function findUp(relative: string, from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, relative);
    if (existsSync(candidate) && !candidate.includes(`${path.sep}dist${path.sep}`)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`${relative} not found above ${from}`);
  }
}

/** The checked-in `prisma/migrations` directory. */
export function defaultMigrationsDirectory(from = __dirname): string {
  return findUp(path.join('prisma', 'migrations'), from);
}

/**
 * Applies pending migrations in name order. A session-level advisory lock serializes migrators
 * (the migration Job, services started with CAIRN_MIGRATE_ON_START) against one database; a
 * migration already applied with a different checksum stops the start rather than leaving the
 * schema in an unknown state. Each migration runs in its own transaction, except one marked
 * `-- cairn:no-transaction` (CREATE INDEX CONCURRENTLY cannot run in one): its statements run one by
 * one and it is recorded after the last, so after a failure it reruns from the top (ADR 0011).
 * Statements wait at most `lockTimeoutMs` for a lock and have no statement timeout.
 */
export async function migrate(databaseUrl: string, migrations: Migration[], options: MigrateOptions = {}): Promise<string[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const applied: string[] = [];
  try {
    while (!(await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY])).rows[0]?.locked) {
      await sleep(LOCK_POLL_MS);
    }
    await client.query("SELECT set_config('lock_timeout', $1, false), set_config('statement_timeout', '0', false)", [
      `${options.lockTimeoutMs ?? DEFAULT_MIGRATION_LOCK_TIMEOUT_MS}ms`,
    ]);
    await client.query(`CREATE TABLE IF NOT EXISTS public.cairn_migrations (
      name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Map(
      (await client.query<{ name: string; checksum: string }>('SELECT name, checksum FROM public.cairn_migrations')).rows.map((r) => [r.name, r.checksum]),
    );
    for (const migration of migrations) {
      const checksum = done.get(migration.name);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) throw new Error(`migration ${migration.name} was changed after it was applied (checksum mismatch)`);
        continue;
      }
      try {
        await (migrationMarkers(migration.sql).has('no-transaction') ? applyStatementByStatement(client, migration) : applyInTransaction(client, migration));
      } catch (error) {
        throw new Error(`migration ${migration.name} failed: ${explainFailure(error as Error & { code?: string })}`, { cause: error });
      }
      applied.push(migration.name);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
  return applied;
}

const RECORD = 'INSERT INTO public.cairn_migrations (name, checksum) VALUES ($1, $2)';

async function applyInTransaction(client: Client, migration: Migration): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(migration.sql);
    await client.query(RECORD, [migration.name, migration.checksum]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

async function applyStatementByStatement(client: Client, migration: Migration): Promise<void> {
  for (const statement of splitStatements(migration.sql)) await client.query(statement);
  await client.query(RECORD, [migration.name, migration.checksum]);
}

function explainFailure(error: Error & { code?: string }): string {
  // 55P03 lock_not_available: lock_timeout fired. Say what to do, not just what Postgres said.
  return error.code === '55P03'
    ? `${error.message} (a lock stayed held by another session longer than the migration lock timeout; find the long transaction in pg_stat_activity, then run the migration again)`
    : error.message;
}
