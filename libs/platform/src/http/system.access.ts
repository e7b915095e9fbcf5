import { PUBLIC, type AccessTable } from '@cairn/contracts';
import type { SystemController } from './system.controller';

/** Probes, version and metrics answer without credentials (kubelets and Prometheus send none). */
export const SYSTEM_ACCESS: AccessTable<SystemController> = {
  liveness: PUBLIC,
  readiness: PUBLIC,
  version: PUBLIC,
  prometheus: PUBLIC,
  serverInfo: PUBLIC,
};
