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
});
