import type { TransactionRunner, UnitOfWork } from '@cairn/platform';

class RolledBack extends Error {}

/** Runs `work` in a unit of work that is always rolled back: checks that must leave the database as they found it. */
export async function inRolledBackUnitOfWork(db: TransactionRunner, work: (uow: UnitOfWork) => Promise<void>): Promise<void> {
  const rolledBack = new RolledBack('rolled back on purpose');
  try {
    await db.transaction(async (uow) => {
      await work(uow);
      throw rolledBack;
    });
  } catch (error) {
    if (error !== rolledBack) throw error;
  }
}
