import {
  permissionAllows,
  weakerPermission,
  PERMISSIONS,
  type Permission,
  type Principal,
  type ReadScope,
  type ResourceType,
  READ_ALL,
} from '@cairn/contracts';

/** Grants keyed by `${resourceType}:${resourceId}`. */
export type GrantMap = ReadonlyMap<string, Permission>;

export const grantKey = (type: ResourceType, id: string) => `${type}:${id}`;

/** Everything that decides one principal's permissions: its own grants, its groups', the default. */
export interface PermissionInputs {
  principal: Principal;
  userGrants: GrantMap;
  groupGrants: readonly GrantMap[];
  /** CAIRN_AUTH_DEFAULT_PERMISSION: what a user holds on a resource nobody granted it anything on. */
  defaultPermission: Permission;
}

const strongest = (levels: Permission[]): Permission => levels.reduce((a, b) => (PERMISSIONS.indexOf(a) >= PERMISSIONS.indexOf(b) ? a : b));

/** Webhooks are admin-managed: without a grant, nobody but an admin touches one, whatever the default. */
const defaultFor = (type: ResourceType, inputs: PermissionInputs): Permission => (type === 'webhook' ? 'NO_PERMISSIONS' : inputs.defaultPermission);

/** What a token's scopes allow on one resource: the best matching scope, or nothing if it has scopes and none matches. */
function tokenCeiling(principal: Principal, type: ResourceType, id: string): Permission {
  const scopes = principal.token?.scopes ?? [];
  if (scopes.length === 0) return 'MANAGE';
  const matching = scopes.filter((s) => s.resourceType === type && (s.resourceId === id || s.resourceId === '*')).map((s) => s.permission);
  return matching.length === 0 ? 'NO_PERMISSIONS' : strongest(matching);
}

/**
 * The one rule for "what may this caller do to this resource": admins hold MANAGE; otherwise the
 * strongest of the user's own grant and its groups' grants, or the default when there is none; a
 * token never exceeds its scopes (nor its owner: the owner's grants are the starting point).
 */
export function effectivePermission(inputs: PermissionInputs, type: ResourceType, id: string): Permission {
  const { principal } = inputs;
  const key = grantKey(type, id);
  const explicit = [inputs.userGrants.get(key), ...inputs.groupGrants.map((g) => g.get(key))].filter((p): p is Permission => p !== undefined);
  const held = principal.isAdmin || principal.token?.ownerIsAdmin === true ? 'MANAGE' : explicit.length > 0 ? strongest(explicit) : defaultFor(type, inputs);
  return weakerPermission(held, tokenCeiling(principal, type, id));
}

/**
 * Which resources of a type a search may return for this caller, as a set the SQL can filter by:
 * everything but what is explicitly denied when the default lets everyone read, only what is granted
 * otherwise; a scoped token narrows it to its scopes.
 */
export function readScope(inputs: PermissionInputs, type: ResourceType): ReadScope {
  const { principal } = inputs;
  const prefix = `${type}:`;
  const explicitIds = new Set<string>();
  for (const map of [inputs.userGrants, ...inputs.groupGrants])
    for (const key of map.keys()) if (key.startsWith(prefix)) explicitIds.add(key.slice(prefix.length));
  const readable = (id: string) => permissionAllows(effectivePermission(inputs, type, id), 'READ');
  const scopes = (principal.token?.scopes ?? []).filter((s) => s.resourceType === type && permissionAllows(s.permission, 'READ'));
  const tokenLimited = (principal.token?.scopes.length ?? 0) > 0;
  const tokenIds = scopes.some((s) => s.resourceId === '*') ? undefined : scopes.map((s) => s.resourceId);

  let scope: ReadScope;
  if (principal.isAdmin || principal.token?.ownerIsAdmin === true || permissionAllows(defaultFor(type, inputs), 'READ')) {
    const hidden = [...explicitIds].filter((id) => !readable(id));
    scope = hidden.length === 0 ? READ_ALL : { kind: 'all-except', ids: hidden.sort() };
  } else {
    scope = { kind: 'only', ids: [...explicitIds].filter(readable).sort() };
  }
  if (!tokenLimited || tokenIds === undefined) return scope;
  // A token with named scopes sees at most those, and of those only what its owner may read.
  return { kind: 'only', ids: [...new Set(tokenIds)].filter(readable).sort() };
}
