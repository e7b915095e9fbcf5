import type { Permission, ResourceType } from '../access/access';

/**
 * Identity's wire shapes: MLflow's basic-auth users and permissions (mlflow/server/auth/entities.py)
 * and Cairn's machine tokens (`/api/2.0/cairn/tokens/*`). Timestamps are epoch milliseconds.
 */

/** A user as MLflow's auth API returns it (never the password hash). */
export interface AuthUser {
  id: number;
  username: string;
  is_admin: boolean;
  experiment_permissions: ExperimentPermission[];
  registered_model_permissions: RegisteredModelPermission[];
}

export interface ExperimentPermission {
  experiment_id: string;
  user_id: number;
  permission: Permission;
}

export interface RegisteredModelPermission {
  name: string;
  user_id: number;
  permission: Permission;
}

/** One row of MLflow 3's `users/current/permissions` (its `_UserRolePermissionRow`). */
export interface CurrentUserPermission {
  role_id: null;
  role_name: string;
  workspace: string;
  resource_type: ResourceType;
  resource_pattern: string;
  permission: Permission;
}

/**
 * `users/current/permissions`: the caller's grants (its own and its groups'). `default_permission`
 * is Cairn's addition — what holds on a resource no row names (MANAGE with auth off; webhooks are
 * never covered by it) — so the web UI can hide the actions a user may not take. With auth off,
 * `is_admin` is true: anyone may call every route.
 */
export interface CurrentUserPermissionsResponse {
  is_admin: boolean;
  default_permission: Permission;
  permissions: CurrentUserPermission[];
}

/** One grant a token carries (`resource_id` `*`: every resource of the type). */
export interface TokenScopeWire {
  resource_type: ResourceType;
  resource_id: string;
  permission: Permission;
}

/** A machine token as listed: everything but its secret, which only the create response carries. */
export interface ApiToken {
  token_id: string;
  name: string;
  /** The owner: the token never holds more than this user does. */
  username: string;
  /** Empty: everything the owner may do. */
  scopes: TokenScopeWire[];
  /** Only the routes serving pods need (reading models and their artifacts). */
  serving_only: boolean;
  admin: boolean;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface CreateTokenRequest {
  name: string;
  /** Whose token (default: the caller; another user's needs an admin). */
  username?: string;
  scopes?: TokenScopeWire[];
  serving_only?: boolean;
  admin?: boolean;
  /** 1 to 730; 90 when omitted. */
  expires_in_days?: number;
}

export interface CreateTokenResponse {
  token: ApiToken;
  /** The bearer secret (`cairn_<id>_<secret>`), shown this once: only its hash is stored. */
  secret: string;
}

export interface ListTokensResponse {
  tokens: ApiToken[];
}

export interface RevokeTokenRequest {
  token_id: string;
}
