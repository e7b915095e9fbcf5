import { CairnError } from '../errors/error-codes';

/**
 * MLflow's permission levels (mlflow/server/auth/permissions.py), weakest first. Every level allows
 * what the levels before it allow: READ reads, EDIT also writes, MANAGE also deletes and grants.
 */
export const PERMISSIONS = ['NO_PERMISSIONS', 'READ', 'EDIT', 'MANAGE'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

/** Whether holding `granted` is enough for an action that needs `needed`. */
export function permissionAllows(granted: Permission, needed: Permission): boolean {
  return PERMISSIONS.indexOf(granted) >= PERMISSIONS.indexOf(needed);
}

/** The weaker of two levels: a token never grants more than its owner holds. */
export function weakerPermission(a: Permission, b: Permission): Permission {
  return PERMISSIONS.indexOf(a) <= PERMISSIONS.indexOf(b) ? a : b;
}

/** What a user name may be (the first admin's, an API-created user's): one rule for config and API. */
export const USERNAME_PATTERN = /^[A-Za-z0-9._@+-]{1,128}$/;
export const USERNAME_RULE = 'must be 1 to 128 letters, digits or . _ @ + -';

/** The actor of a request nobody authenticated (a server with CAIRN_AUTH=none, a public route). */
export const ANONYMOUS_PRINCIPAL_NAME = 'anonymous';

/**
 * The kinds of resource permissions are granted on; everything else inherits from one of them (runs,
 * metrics, artifacts and logged models from their experiment; versions, aliases and stages from their
 * model). Webhooks are server-wide and admin-managed: a grant on one (a CI token's) only lets its
 * holder read or redeliver that webhook's deliveries, and the default permission never applies.
 */
export type ResourceType = 'experiment' | 'registered_model' | 'webhook';
export const RESOURCE_TYPES: readonly ResourceType[] = ['experiment', 'registered_model', 'webhook'];

/**
 * Who made a request, as the API edge authenticated it. `actor` is what events record: a user
 * name, `token:<id>` for a machine token, or an OIDC subject — never a header value.
 */
export interface Principal {
  kind: 'anonymous' | 'user' | 'token' | 'oidc';
  /** The user's id in identity's tables (for tokens: the owner's); undefined for anonymous. */
  userId: number | undefined;
  username: string;
  actor: string;
  /** May call admin-only routes and holds MANAGE everywhere (a token: only one minted as an admin token). */
  isAdmin: boolean;
  /** OIDC groups (from the configured claim); empty otherwise. */
  groups: readonly string[];
  /** Machine tokens only: what the token may touch (narrower than its owner), and where. */
  token?: { id: string; scopes: readonly TokenScope[]; servingOnly: boolean; ownerIsAdmin: boolean };
}

/** One grant a token carries: a permission on one experiment or model (`*` = any). */
export interface TokenScope {
  resourceType: ResourceType;
  resourceId: string;
  permission: Permission;
}

/**
 * Which resources of one type a caller may read, for searches and lists to filter in SQL (so
 * nothing leaks by count, page token or ordering): everything, everything but some, or only some.
 */
export type ReadScope = { kind: 'all' } | { kind: 'all-except'; ids: string[] } | { kind: 'only'; ids: string[] };

export const READ_ALL: ReadScope = { kind: 'all' };

/** Whether one resource id is inside a read scope (for results filtered after the query). */
export function scopeIncludes(scope: ReadScope, id: string): boolean {
  switch (scope.kind) {
    case 'all':
      return true;
    case 'all-except':
      return !scope.ids.includes(id);
    case 'only':
      return scope.ids.includes(id);
  }
}

/** The caller's view of what it may see, handed to searches and lists by the API edge. */
export interface AccessContext {
  principal: Principal;
  readable(type: ResourceType): Promise<ReadScope>;
  /** The caller's effective permission on one resource (admins: MANAGE). */
  permissionOn(type: ResourceType, id: string): Promise<Permission>;
}

export const permissionDenied = (message = 'Permission denied') => new CairnError('PERMISSION_DENIED', message);
export const unauthenticated = (
  message = 'You are not authenticated. Please see the documentation for authentication: send HTTP Basic credentials or a bearer token.',
) => new CairnError('UNAUTHENTICATED', message);
