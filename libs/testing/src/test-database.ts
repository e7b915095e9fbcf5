import { createScratchDatabase, type ScratchDatabase } from '@cairn/platform';
import { testEndpoints } from './environment';

export type TestDatabase = ScratchDatabase;

/** A fresh database on the test Postgres, so test files never see each other's rows. */
export function createTestDatabase(options: { migrated?: boolean; prefix?: string } = {}): Promise<TestDatabase> {
  return createScratchDatabase(testEndpoints.databaseUrl(), options);
}
