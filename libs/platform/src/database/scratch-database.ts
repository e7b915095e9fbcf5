import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { defaultMigrationsDirectory, migrate, readMigrations } from './migrator';

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function onServer(adminUrl: string, sql: string) {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/**
 * Creates a new, uniquely named database on the server of `adminUrl` (tests, benchmarks), optionally
 * with the project's migrations applied as a server start would.
 */
export async function createScratchDatabase(adminUrl: string, { migrated = true, prefix = 'cairn_test' } = {}): Promise<ScratchDatabase> {
  const name = `${prefix.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(6).toString('hex')}`;
  await onServer(adminUrl, `CREATE DATABASE ${name}`);
  const url = withDatabase(adminUrl, name);
  if (migrated) await migrate(url, readMigrations(defaultMigrationsDirectory()));
  return { url, drop: () => onServer(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
