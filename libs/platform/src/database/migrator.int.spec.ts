import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { defaultMigrationsDirectory, migrate, readMigrations, type Migration } from './migrator';
import { createScratchDatabase, type ScratchDatabase } from './scratch-database';

const adminUrl = () => {
  const url = process.env['CAIRN_TEST_DATABASE_URL'];
  if (!url) throw new Error('CAIRN_TEST_DATABASE_URL is not set: run through npm test');
  return url;
};

async function tablesIn(url: string, schema: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [
      schema,
    ]);
    return rows.map((r) => r.table_name);
  } finally {
    await client.end();
  }
}

function migrationsDir(migrations: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-migrations-'));
  for (const [name, sql] of Object.entries(migrations)) {
    mkdirSync(path.join(dir, name));
    writeFileSync(path.join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

describe('the migrator', () => {
  let db: ScratchDatabase;
  beforeEach(async () => {
    db = await createScratchDatabase(adminUrl(), { migrated: false, prefix: 'migrator' });
  });
  afterEach(() => db.drop());

  it('applies the checked-in migrations once; a second run applies nothing', async () => {
    const migrations = readMigrations(defaultMigrationsDirectory());
    expect(await migrate(db.url, migrations)).toEqual(migrations.map((m) => m.name));
    expect(await migrate(db.url, migrations)).toEqual([]);
    expect(await tablesIn(db.url, 'tracking')).toEqual(expect.arrayContaining(['events', 'outbox', 'inbox', 'dead_letters']));
  });

  it('serializes services starting at once: each migration is applied exactly once', async () => {
    const migrations = readMigrations(defaultMigrationsDirectory());
    const results = await Promise.all(Array.from({ length: 4 }, () => migrate(db.url, migrations)));
    expect(results.flat().sort()).toEqual(migrations.map((m) => m.name).sort());
  });

  it('rolls back a failing migration whole and stops there', async () => {
    const dir = migrationsDir({
      '0001_ok': 'CREATE SCHEMA demo; CREATE TABLE demo.a (id int);',
      '0002_broken': 'CREATE TABLE demo.b (id int); SELECT * FROM demo.missing;',
      '0003_after': 'CREATE TABLE demo.c (id int);',
    });
    await expect(migrate(db.url, readMigrations(dir))).rejects.toThrow(/0002_broken failed/);
    expect(await tablesIn(db.url, 'demo')).toEqual(['a']);
  });

  it('refuses to start when an applied migration was edited afterwards', async () => {
    const original: Migration[] = readMigrations(migrationsDir({ '0001_a': 'CREATE TABLE public.t1 (id int);' }));
    await migrate(db.url, original);
    const edited = readMigrations(migrationsDir({ '0001_a': 'CREATE TABLE public.t1 (id bigint);' }));
    await expect(migrate(db.url, edited)).rejects.toThrow(/checksum mismatch/);
  });

  describe('without downtime (ADR 0011)', () => {
    const table = 'CREATE SCHEMA demo; CREATE TABLE demo.t (id int PRIMARY KEY, a int); INSERT INTO demo.t SELECT g, g % 7 FROM generate_series(1, 20000) g;';
    const concurrentIndex = '-- cairn:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS demo.t_a;\nCREATE INDEX CONCURRENTLY t_a ON demo.t (a);\n';

    async function indexValidity(url: string): Promise<boolean[]> {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ valid: boolean }>("SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'demo.t_a'::regclass");
        return rows.map((r) => r.valid);
      } finally {
        await client.end();
      }
    }

    it('builds an index CONCURRENTLY in a migration marked -- cairn:no-transaction (refused in a transaction)', async () => {
      const unmarked = readMigrations(migrationsDir({ '0001_table': table, '0002_index': concurrentIndex.replace('-- cairn:no-transaction', '') }));
      await expect(migrate(db.url, unmarked)).rejects.toThrow(/0002_index failed: .*cannot run inside a transaction block/);

      const marked = readMigrations(migrationsDir({ '0001_table': table, '0002_index': concurrentIndex }));
      expect(await migrate(db.url, marked)).toEqual(['0002_index']);
      expect(await indexValidity(db.url)).toEqual([true]);
      expect(await migrate(db.url, marked)).toEqual([]);
    });

    it('fails within the lock timeout, with a hint, instead of queueing behind a long transaction', async () => {
      await migrate(db.url, readMigrations(migrationsDir({ '0001_table': table })));
      const reader = new Client({ connectionString: db.url });
      await reader.connect();
      try {
        // A request of the running release in the middle of a transaction that read demo.t.
        await reader.query('BEGIN');
        await reader.query('SELECT count(*) FROM demo.t');
        const addColumn = readMigrations(migrationsDir({ '0001_table': table, '0002_column': 'ALTER TABLE demo.t ADD COLUMN b int;' }));
        const started = Date.now();
        await expect(migrate(db.url, addColumn, { lockTimeoutMs: 1_000 })).rejects.toThrow(
          /0002_column failed: canceling statement due to lock timeout \(a lock stayed held by another session/,
        );
        expect(Date.now() - started).toBeLessThan(4_000);
        await reader.query('COMMIT');
        expect(await migrate(db.url, addColumn, { lockTimeoutMs: 1_000 })).toEqual(['0002_column']);
      } finally {
        await reader.end();
      }
    });

    it('backfills in committed batches in a no-transaction migration: they survive a later failure, and the rerun completes', async () => {
      const backfill = [
        '-- cairn:no-transaction',
        'ALTER TABLE demo.t ADD COLUMN IF NOT EXISTS a_squared int;',
        `DO $$
        DECLARE done int;
        BEGIN
          LOOP
            UPDATE demo.t SET a_squared = a * a WHERE id IN (SELECT id FROM demo.t WHERE a_squared IS NULL LIMIT 5000);
            GET DIAGNOSTICS done = ROW_COUNT;
            EXIT WHEN done = 0;
            COMMIT;
          END LOOP;
        END $$;`,
        'SELECT 1 / (SELECT count(*) FILTER (WHERE a_squared IS NULL) FROM demo.t);',
      ].join('\n');
      const [ok, broken] = [backfill.replace('SELECT 1 / (', 'SELECT 1 + ('), backfill];
      await migrate(db.url, readMigrations(migrationsDir({ '0001_table': table })));
      // The last statement fails (division by zero once every row is filled): the batches stay committed.
      await expect(migrate(db.url, readMigrations(migrationsDir({ '0001_table': table, '0002_backfill': broken })))).rejects.toThrow(/division by zero/);
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        expect((await client.query('SELECT count(*)::int AS n FROM demo.t WHERE a_squared = a * a')).rows).toEqual([{ n: 20000 }]);
      } finally {
        await client.end();
      }
      expect(await migrate(db.url, readMigrations(migrationsDir({ '0001_table': table, '0002_backfill': ok })))).toEqual(['0002_backfill']);
    });

    it('serializes migrators that start together around a concurrent index build: each migration applies once', async () => {
      // A migrator blocked in pg_advisory_lock would hold a snapshot the concurrent build waits for
      // (a deadlock); waiting migrators poll instead.
      const migrations = readMigrations(migrationsDir({ '0001_table': table, '0002_index': concurrentIndex }));
      const results = await Promise.all(Array.from({ length: 3 }, () => migrate(db.url, migrations)));
      expect(results.flat().sort()).toEqual(['0001_table', '0002_index']);
      expect(await indexValidity(db.url)).toEqual([true]);
    });
  });
});
