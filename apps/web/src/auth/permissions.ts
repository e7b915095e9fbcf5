import type { CurrentUserPermissionsResponse, Permission, ResourceType } from '@cairn/contracts';

/**
 * What the signed-in user may do to a resource, from `users/current/permissions` (its grants and
 * groups' grants, and the default where none names the resource), the way the server's
 * `effectivePermission` decides it. The UI only hides what the server would refuse: it never
 * grants anything, and an action it offers by mistake is still refused by the server.
 */
export type Grants = CurrentUserPermissionsResponse;

/** MLflow's levels, weakest first (the contracts' PERMISSIONS order; a type-only import here keeps zod out of the bundle). */
const RANK: Record<Permission, number> = { NO_PERMISSIONS: 0, READ: 1, EDIT: 2, MANAGE: 3 };

/** Everything: a server without authentication, or one whose answer the UI could not read (the server still decides). */
export const EVERYTHING: Grants = { is_admin: true, default_permission: 'MANAGE', permissions: [] };

export function permissionOn(grants: Grants, type: ResourceType, id: string): Permission {
  if (grants.is_admin) return 'MANAGE';
  const named = grants.permissions
    .filter((p) => p.resource_type === type && (p.resource_pattern === id || p.resource_pattern === '*'))
    .map((p) => p.permission);
  // Webhooks are admin-managed: the default never covers them.
  if (named.length === 0) return type === 'webhook' ? 'NO_PERMISSIONS' : grants.default_permission;
  return named.reduce((a, b) => (RANK[a] >= RANK[b] ? a : b));
}

export function allows(grants: Grants, type: ResourceType, id: string, needed: Permission): boolean {
  return RANK[permissionOn(grants, type, id)] >= RANK[needed];
}
