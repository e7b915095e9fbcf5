import { ADMIN_ONLY, type AccessTable } from '@cairn/contracts';
import type { ReadModelsController } from './read-models.controller';

/** Verifying rebuilds a whole context's read model inside a transaction: admins only. */
export const READ_MODELS_ACCESS: AccessTable<ReadModelsController> = {
  verify: ADMIN_ONLY,
};
