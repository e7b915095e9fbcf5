import { ADMIN_ONLY, type AccessTable } from '@cairn/contracts';
import type { ReadModelsController } from './read-models.controller';

/** Verifying and rebuilding replay a whole context's logs, and progress names who started it: admins only. */
export const READ_MODELS_ACCESS: AccessTable<ReadModelsController> = {
  verify: ADMIN_ONLY,
  rebuild: ADMIN_ONLY,
  rebuildProgress: ADMIN_ONLY,
};
