import { cpSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { acquireHomeLock, defaultMigrationsDirectory, loadConfig, migrate, readMigrations, startEmbeddedDatabase } from '@cairn/platform';

/**
 * Backup and restore of an embedded-mode installation ($CAIRN_HOME: the embedded Postgres and a
 * filesystem artifact root), while the server runs; and of the database of an external Postgres
 * (CAIRN_DATABASE_URL), whose object store is copied with its own tools after the backup and before
 * the restore (docs/operations.md "Backup and restore").
 *
 * The database is read in one REPEATABLE READ transaction (a snapshot consistent across every
 * context, as pg_dump takes), each row as its composite text — lossless, through the types' own
 * output and input functions — then the artifact root is copied. Database first: a blob is written
 * before the row that references it commits, so every blob the snapshot references is there when
 * the copy runs, unless garbage collection deleted it in between; the backup checks that every
 * blob the snapshot references was copied, and fails naming those it did not find.
 */

export const BACKUP_FORMAT = 'cairn-home-backup/1';

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  createdAt: string;
  /** The migrations the database had: a restore applies exactly these before loading the rows. */
  migrations: string[];
  tables: Array<{ table: string; rows: number; file: string }>;
  sequences: Array<{ sequence: string; lastValue: string | null }>;
  /** Relative to the backup directory; null when the artifact root is not a local directory. */
  artifacts: string | null;
  blobs: number;
  /** The storage keys the snapshot references (relative to the artifact root), one a line: what a bucket copy must hold. */
  blobKeys?: string;
}

const FETCH = 1000;
const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const qualified = (schema: string, name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;

// Every table Cairn's migrations created, except the migrator's own ledger (a restore migrates).
const TABLES = `
SELECT schemaname AS schema, tablename AS name FROM pg_tables
WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname NOT LIKE 'cairn\\_rebuild\\_%'
  AND NOT (schemaname = 'public' AND tablename = 'cairn_migrations')
ORDER BY schemaname, tablename`;
const SEQUENCES = `
SELECT schemaname AS schema, sequencename AS name, last_value::text AS last_value FROM pg_sequences
WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname NOT LIKE 'cairn\\_rebuild\\_%' ORDER BY 1, 2`;

/** The URL of the embedded Postgres a running server started for `home`, or undefined when none runs. */
export function runningEmbeddedDatabaseUrl(home: string): string | undefined {
  const pidFile = path.join(home, 'postgres', 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(pid), 0);
  } catch {
    return undefined; // a stale file: the postmaster is gone
  }
  return `postgres://cairn:cairn@127.0.0.1:${Number(port)}/cairn`;
}

/** Runs `work` on the home's database: the running server's, or one started here (and stopped after) when no server runs. */
async function withHomeDatabase<T>(home: string, log: (line: string) => void, work: (url: string) => Promise<T>): Promise<T> {
  const running = runningEmbeddedDatabaseUrl(home);
  if (running !== undefined) return work(running);
  const lock = acquireHomeLock(home);
  try {
    const embedded = await startEmbeddedDatabase(home, log);
    try {
      return await work(embedded.url);
    } finally {
      await embedded.stop();
    }
  } finally {
    lock.release();
  }
}

/** Whether Cairn's migrations have run on the database at `url` (a restore wants a fresh one). */
async function hasCairnSchema(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ t: string | null }>(`SELECT to_regclass('public.cairn_migrations')::text AS t`);
    return rows[0]?.t != null;
  } finally {
    await client.end();
  }
}

/** Every file path under `dir`, relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(dir, path.join(prefix, entry.name)) : [path.join(prefix, entry.name)],
  );
}

/**
 * Backs up `home` (its embedded database, or the external one at `databaseUrl`, and `artifactRoot`
 * when it is a local directory) into `target`, which must not exist or be empty. Safe while the
 * server runs.
 */
export async function backupHome(options: {
  home: string;
  databaseUrl?: string;
  artifactRoot: string | null;
  target: string;
  log: (line: string) => void;
}): Promise<BackupManifest> {
  const { home, databaseUrl, artifactRoot, target, log } = options;
  if (existsSync(target) && readdirSync(target).length > 0) throw new Error(`${target} is not empty: back up into a new directory`);
  mkdirSync(path.join(target, 'postgres'), { recursive: true });
  const withDatabase = <T>(work: (url: string) => Promise<T>) => (databaseUrl !== undefined ? work(databaseUrl) : withHomeDatabase(home, log, work));
  const snapshot = await withDatabase(async (url) => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const migrations = (await client.query<{ name: string }>('SELECT name FROM public.cairn_migrations ORDER BY name')).rows.map((r) => r.name);
      const tables: BackupManifest['tables'] = [];
      for (const { schema, name } of (await client.query<{ schema: string; name: string }>(TABLES)).rows) {
        const file = path.join('postgres', `${schema}.${name}.ndjson`);
        const out = await open(path.join(target, file), 'w');
        let rows = 0;
        try {
          await client.query(`DECLARE backup_rows NO SCROLL CURSOR FOR SELECT t::text AS row FROM ${qualified(schema, name)} t`);
          for (;;) {
            const batch = (await client.query<{ row: string }>(`FETCH ${FETCH} FROM backup_rows`)).rows;
            if (batch.length > 0) await out.write(batch.map((r) => `${JSON.stringify(r.row)}\n`).join(''));
            rows += batch.length;
            if (batch.length < FETCH) break;
          }
          await client.query('CLOSE backup_rows');
        } finally {
          await out.close();
        }
        tables.push({ table: `${schema}.${name}`, rows, file });
      }
      const sequences = (await client.query<{ schema: string; name: string; last_value: string | null }>(SEQUENCES)).rows.map((r) => ({
        sequence: `${r.schema}.${r.name}`,
        lastValue: r.last_value,
      }));
      const hasObjects = tables.some((t) => t.table === 'artifacts.objects');
      const blobKeys = hasObjects
        ? (await client.query<{ storage_key: string }>('SELECT storage_key FROM artifacts.objects')).rows.map((r) => r.storage_key)
        : [];
      await client.query('COMMIT');
      return { migrations, tables, sequences, blobKeys };
    } finally {
      await client.end();
    }
  });
  log(`database: ${snapshot.tables.reduce((n, t) => n + t.rows, 0)} rows of ${snapshot.tables.length} tables`);

  let artifacts: string | null = null;
  if (artifactRoot !== null && existsSync(artifactRoot)) {
    // After the snapshot, never before: see the module comment.
    cpSync(realpathSync(artifactRoot), path.join(target, 'artifacts'), { recursive: true, preserveTimestamps: true });
    artifacts = 'artifacts';
    const missing = snapshot.blobKeys.filter((key) => !existsSync(path.join(target, 'artifacts', key)));
    if (missing.length > 0)
      throw new Error(
        `${missing.length} blob(s) the database references were deleted before they were copied (garbage collection ran meanwhile), e.g. ${missing.slice(0, 3).join(', ')}: run the backup again`,
      );
    log(`artifacts: ${filesUnder(path.join(target, 'artifacts')).length} files, ${snapshot.blobKeys.length} referenced blobs all present`);
  } else if (snapshot.blobKeys.length > 0) {
    log(
      `artifacts: the artifact root is not a local directory; copy the bucket now, after this backup: it must hold the ${snapshot.blobKeys.length} keys of blob-keys.txt (docs/operations.md)`,
    );
  }
  writeFileSync(path.join(target, 'blob-keys.txt'), snapshot.blobKeys.map((key) => `${key}\n`).join(''));
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    createdAt: new Date().toISOString(),
    migrations: snapshot.migrations,
    tables: snapshot.tables,
    sequences: snapshot.sequences,
    artifacts,
    blobs: snapshot.blobKeys.length,
    blobKeys: 'blob-keys.txt',
  };
  writeFileSync(path.join(target, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * Restores a backup into `home`, which must not hold a database yet (a fresh CAIRN_HOME), or into the
 * external database at `databaseUrl`, which must not hold Cairn's schema yet; and the artifacts into
 * `artifactRoot`. Applies the backup's migrations, loads every row with triggers and foreign keys off
 * (the rows were consistent when read), sets the sequences, copies the artifacts. The server's next
 * start applies the migrations this release adds.
 */
export async function restoreHome(options: {
  source: string;
  home: string;
  databaseUrl?: string;
  artifactRoot: string | null;
  log: (line: string) => void;
}): Promise<BackupManifest> {
  const { source, home, databaseUrl, artifactRoot, log } = options;
  const manifest = JSON.parse(readFileSync(path.join(source, 'manifest.json'), 'utf8')) as BackupManifest;
  if (manifest.format !== BACKUP_FORMAT) throw new Error(`${source}: not a Cairn home backup (format ${String(manifest.format)})`);
  if (databaseUrl === undefined && existsSync(path.join(home, 'postgres')))
    throw new Error(`CAIRN_HOME=${home} already has a database: restore into a fresh home`);
  if (databaseUrl !== undefined && (await hasCairnSchema(databaseUrl)))
    throw new Error('the database at CAIRN_DATABASE_URL already holds Cairn tables: restore into a fresh database');
  const known = readMigrations(defaultMigrationsDirectory());
  const unknown = manifest.migrations.filter((name) => !known.some((m) => m.name === name));
  if (unknown.length > 0) throw new Error(`the backup was taken by a newer release (migrations ${unknown.join(', ')}): restore it with that release`);
  if (artifactRoot !== null && manifest.artifacts !== null && existsSync(artifactRoot) && readdirSync(artifactRoot).length > 0)
    throw new Error(`the artifact root ${artifactRoot} is not empty: restore into a fresh one`);

  const onDatabase = async (work: (url: string) => Promise<void>) => {
    if (databaseUrl !== undefined) return work(databaseUrl);
    const lock = acquireHomeLock(home);
    try {
      const embedded = await startEmbeddedDatabase(home, log);
      try {
        await work(embedded.url);
      } finally {
        await embedded.stop();
      }
    } finally {
      lock.release();
    }
  };
  await onDatabase(async (url) => {
    await migrate(
      url,
      known.filter((m) => manifest.migrations.includes(m.name)),
    );
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('BEGIN');
      // Foreign keys and triggers (the outbox NOTIFY) off while loading: the rows were consistent when read.
      await client.query('SET LOCAL session_replication_role = replica');
      const names = manifest.tables.map((t) => {
        const [schema = '', name = ''] = t.table.split('.');
        return qualified(schema, name);
      });
      if (names.length > 0) await client.query(`TRUNCATE ${names.join(', ')}`);
      for (const [i, table] of manifest.tables.entries()) {
        const name = names[i] ?? '';
        let batch: string[] = [];
        const flush = async () => {
          if (batch.length > 0) await client.query(`INSERT INTO ${name} SELECT (r::${name}).* FROM unnest($1::text[]) AS r`, [batch]);
          batch = [];
        };
        const lines = createInterface({ input: createReadStream(path.join(source, table.file)), crlfDelay: Infinity });
        for await (const line of lines) {
          if (line === '') continue;
          batch.push(JSON.parse(line) as string);
          if (batch.length >= FETCH) await flush();
        }
        await flush();
      }
      for (const { sequence, lastValue } of manifest.sequences) {
        const [schema = '', name = ''] = sequence.split('.');
        if (lastValue === null) await client.query('SELECT setval($1::regclass, 1, false)', [qualified(schema, name)]);
        else await client.query('SELECT setval($1::regclass, $2::bigint, true)', [qualified(schema, name), lastValue]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await client.end();
    }
  });
  log(`database: ${manifest.tables.reduce((n, t) => n + t.rows, 0)} rows of ${manifest.tables.length} tables restored`);
  if (manifest.artifacts !== null && artifactRoot !== null) {
    cpSync(path.join(source, manifest.artifacts), artifactRoot, { recursive: true, preserveTimestamps: true });
    log(`artifacts: restored into ${artifactRoot}`);
  }
  return manifest;
}

/**
 * `cairn backup <dir>` / `cairn restore <dir>` (the CLI runs this file as a child): back up or
 * restore the embedded installation of $CAIRN_HOME (libs/platform home-backup.ts).
 */
export async function runHomeBackupCommand(argv: readonly string[]): Promise<number> {
  const [command, dir] = argv;
  const json = argv.includes('--json');
  const config = loadConfig({ CAIRN_SERVICE_NAME: 'home-backup', ...process.env }, { embeddedDefaults: true });
  if ((command !== 'backup' && command !== 'restore') || dir === undefined) {
    process.stderr.write('usage: cairn backup <dir> | cairn restore <dir>\n');
    return 2;
  }
  const artifactRoot = config.artifactRoot.kind === 'file' ? config.artifactRoot.directory : null;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const manifest =
    command === 'backup'
      ? await backupHome({ home: config.home, databaseUrl: config.databaseUrl, artifactRoot, target: dir, log })
      : await restoreHome({ source: dir, home: config.home, databaseUrl: config.databaseUrl, artifactRoot, log });
  process.stdout.write(
    json
      ? `${JSON.stringify(manifest, null, 2)}\n`
      : command === 'backup'
        ? `backed up ${config.databaseUrl === undefined ? config.home : 'the database'} into ${dir} (${manifest.tables.length} tables, ${manifest.blobs} blobs)\n`
        : `restored ${dir} (taken ${manifest.createdAt}) into ${config.databaseUrl === undefined ? config.home : 'the database'}; start Cairn on it\n`,
  );
  return 0;
}
