import { ADMIN_ONLY, type AccessTable } from '@cairn/contracts';
import type { EventLogController } from './event-log.controller';

/** The logs hold every context's data, whoever may read it: admins only. */
export const EVENT_LOG_ACCESS: AccessTable<EventLogController> = {
  exportEvents: ADMIN_ONLY,
};
