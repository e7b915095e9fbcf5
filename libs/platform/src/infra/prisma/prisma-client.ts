import { PrismaPg } from '@prisma/adapter-pg';
import type { Database } from '../../database/database';
import { PrismaClient } from './generated/client';

export { PrismaClient };

/**
 * Prisma Client 7 over the process's own `pg` pool (driver adapter, no engine binary). Only the
 * `infra/` folders of contexts use it, for ordinary read models; hot paths use `pg` directly.
 */
export function createPrismaClient(database: Database): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(database.pool) });
}
