import { ADMIN_ONLY, type AccessTable } from '@cairn/contracts';
import type { DeadLettersController } from './dead-letters.controller';

/** Dead letters hold any event's data and replaying one writes read models: admins only. */
export const DEAD_LETTERS_ACCESS: AccessTable<DeadLettersController> = {
  list: ADMIN_ONLY,
  get: ADMIN_ONLY,
  replay: ADMIN_ONLY,
  replayAll: ADMIN_ONLY,
  discard: ADMIN_ONLY,
};
