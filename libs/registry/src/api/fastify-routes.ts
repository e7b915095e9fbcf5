import type { RouteAccess } from '@cairn/contracts';
import { ALIAS_RESOLVE_PATH } from './alias-resolve.route';
import { MODEL_READ_ROUTES } from './model-reads.route';
import { ALIAS_RESOLVE_ACCESS } from './registry.access';

/**
 * Every route the registry registers on Fastify directly (hot paths, outside Nest's controllers),
 * with its access entry: what the ingress path table and the access matrix read, since no
 * controller metadata describes them.
 */
export const REGISTRY_FASTIFY_ROUTES: ReadonlyArray<{ method: string; path: string; access: RouteAccess }> = [
  { method: 'GET', path: ALIAS_RESOLVE_PATH, access: ALIAS_RESOLVE_ACCESS },
  ...MODEL_READ_ROUTES,
];
