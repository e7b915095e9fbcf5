import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { defaultMigrationsDirectory, migrate, readMigrations } from '@cairn/platform';
import { testEndpoints } from './environment';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * A fresh database on the test Postgres, so test files never see each other's rows.
 * `migrated: true` applies the project's migrations, as a server start would.
 */
export async function createTestDatabase({ migrated = true, prefix = 'cairn_test' } = {}): Promise<TestDatabase> {
  const adminUrl = testEndpoints.databaseUrl();
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  if (migrated) await migrate(url, readMigrations(defaultMigrationsDirectory()));
  return {
    url,
    async drop() {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
