import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  alreadyExists,
  canonicalExperimentId,
  invalidParameter,
  isPermission,
  notFound,
  permissionDenied,
  RESOURCE_TYPES,
  USERNAME_PATTERN,
  USERNAME_RULE,
  type ApiToken,
  type AuthUser,
  type CreateTokenResponse,
  type CurrentUserPermission,
  type CurrentUserPermissionsResponse,
  type Permission,
  type Principal,
  type ResourceType,
  type TokenScope,
} from '@cairn/contracts';
import { mintToken } from '../domain/credentials';
import { hashPassword, passwordMatches } from '../infra/passwords';
import { AccessControl } from './access-control';
import { IDENTITY_STORE, type GrantRecord, type IdentityStore, type TokenRecord, type UserRecord } from './identity-store';

export const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 1024;
const DEFAULT_TOKEN_DAYS = 90;
const MAX_TOKEN_DAYS = 730;

/**
 * Users, grants and tokens: MLflow's basic-auth API (users and experiment / registered-model
 * permissions) and Cairn's machine tokens. The route table decides who may call each operation;
 * the rules that depend on the target (yourself or someone else) are here.
 */
@Injectable()
export class IdentityService {
  constructor(
    @Inject(IDENTITY_STORE) private readonly store: IdentityStore,
    @Inject(AccessControl) private readonly access: AccessControl,
  ) {}

  // ---- users ---------------------------------------------------------------------------------

  async createUser(username: unknown, password: unknown): Promise<AuthUser> {
    const name = validUsername(username);
    const created = await this.store.createUser({ username: name, passwordHash: await hashPassword(validPassword(password)), isAdmin: false, source: 'local' });
    if (!created) throw alreadyExists(`User '${name}' already exists`);
    return this.view(created);
  }

  async getUser(caller: Principal, username: unknown): Promise<AuthUser> {
    const user = await this.user(username);
    if (!caller.isAdmin && caller.userId !== user.id) throw permissionDenied('Only admins can read other users');
    return this.view(user);
  }

  async listUsers(): Promise<Array<{ id: number; username: string; is_admin: boolean; roles: never[] }>> {
    return (await this.store.listUsers()).map((u) => ({ id: u.id, username: u.username, is_admin: u.isAdmin, roles: [] }));
  }

  async updatePassword(caller: Principal, username: unknown, password: unknown, currentPassword: unknown): Promise<void> {
    const user = await this.user(username);
    const self = caller.userId === user.id && caller.kind !== 'token';
    if (!caller.isAdmin) {
      if (!self) throw permissionDenied('Only admins can change other users’ passwords');
      // Self-service needs the current password: a stolen session alone cannot lock the owner out.
      if (typeof currentPassword !== 'string' || user.passwordHash === null || !(await passwordMatches(user.passwordHash, currentPassword))) {
        throw permissionDenied('current_password is missing or wrong');
      }
    }
    await this.store.updatePassword(user.id, await hashPassword(validPassword(password)));
    this.access.invalidate();
  }

  async updateAdmin(username: unknown, isAdmin: unknown): Promise<void> {
    const user = await this.user(username);
    if (typeof isAdmin !== 'boolean') throw invalidParameter("'is_admin' must be true or false");
    await this.store.updateAdmin(user.id, isAdmin);
    this.access.invalidate();
  }

  async deleteUser(caller: Principal, username: unknown): Promise<void> {
    const user = await this.user(username);
    if (caller.userId === user.id) throw invalidParameter('You cannot delete yourself');
    await this.store.deleteUser(user.id);
    this.access.invalidate();
  }

  currentUser(caller: Principal): { user: { id: number | undefined; username: string; is_admin: boolean }; is_basic_auth: boolean } {
    return { user: { id: caller.userId, username: caller.username, is_admin: caller.isAdmin }, is_basic_auth: this.access.mode === 'basic' };
  }

  /**
   * MLflow 3's `users/current/permissions`: every grant the caller holds, with `is_admin`, which its
   * web UI asks for once `users/current` answers (and gates its edit controls on). MLflow flattens
   * roles into rows; Cairn's direct grants are MLflow's per-user role (`__user_<id>__`, as its
   * grant/revoke API writes them) and a group's grants a role named after the group. Cairn has no
   * role ids, so `role_id` is null; without a user (auth off) there are no grants to list.
   * `default_permission` is Cairn's addition: what holds where no row matches, so a client (Cairn's
   * web UI) can tell which actions to offer without asking per resource.
   */
  async currentUserPermissions(caller: Principal): Promise<CurrentUserPermissionsResponse> {
    const rows = (role: string, grants: readonly GrantRecord[]): CurrentUserPermission[] =>
      grants.map((g) => ({
        role_id: null,
        role_name: role,
        workspace: 'default',
        resource_type: g.resourceType,
        resource_pattern: g.resourceId,
        permission: g.permission,
      }));
    const own = caller.userId === undefined ? [] : rows(`__user_${caller.userId}__`, await this.store.userGrants(caller.userId));
    const groups = caller.groups.length === 0 ? new Map<string, GrantRecord[]>() : await this.store.groupGrants(caller.groups);
    return {
      // Without authentication everyone may call the admin routes too: say so, as the grants say MANAGE.
      is_admin: caller.isAdmin || !this.access.enabled,
      default_permission: this.access.defaultPermission,
      permissions: [...own, ...[...groups].flatMap(([group, grants]) => rows(group, grants))],
    };
  }

  // ---- grants ----------------------------------------------------------------------------------

  async createGrant(type: ResourceType, id: unknown, username: unknown, permission: unknown): Promise<GrantRecord & { userId: number }> {
    const user = await this.user(username);
    const resourceId = validResourceId(id, type);
    if (await this.store.getUserGrant(user.id, type, resourceId))
      throw alreadyExists(`${label(type)} permission (${idLabel(type)}=${resourceId}, username=${user.username}) already exists`);
    const grant = { resourceType: type, resourceId, permission: validPermission(permission) };
    await this.store.putUserGrant(user.id, grant);
    this.access.invalidate();
    return { ...grant, userId: user.id };
  }

  async getGrant(type: ResourceType, id: unknown, username: unknown): Promise<GrantRecord & { userId: number }> {
    const user = await this.user(username);
    const resourceId = validResourceId(id, type);
    const grant = await this.store.getUserGrant(user.id, type, resourceId);
    if (!grant) throw notFound(`${label(type)} permission with ${idLabel(type)}=${resourceId} and username=${user.username} not found`);
    return { ...grant, userId: user.id };
  }

  async updateGrant(type: ResourceType, id: unknown, username: unknown, permission: unknown): Promise<void> {
    const existing = await this.getGrant(type, id, username);
    await this.store.putUserGrant(existing.userId, { ...existing, permission: validPermission(permission) });
    this.access.invalidate();
  }

  async deleteGrant(type: ResourceType, id: unknown, username: unknown): Promise<void> {
    const existing = await this.getGrant(type, id, username);
    await this.store.deleteUserGrant(existing.userId, type, existing.resourceId);
    this.access.invalidate();
  }

  /** MLflow 3's unified grant: sets (creates or replaces) a user's permission on a resource. */
  async grant(resourceType: unknown, id: unknown, username: unknown, permission: unknown): Promise<void> {
    const type = validResourceType(resourceType);
    const user = await this.user(username);
    await this.store.putUserGrant(user.id, { resourceType: type, resourceId: validResourceId(id, type), permission: validPermission(permission) });
    this.access.invalidate();
  }

  async revoke(resourceType: unknown, id: unknown, username: unknown): Promise<void> {
    const type = validResourceType(resourceType);
    const user = await this.user(username);
    await this.store.deleteUserGrant(user.id, type, validResourceId(id, type));
    this.access.invalidate();
  }

  /** What the user would get on a real request (MLflow 3's check; `allowed`: anything but NO_PERMISSIONS). */
  async effective(resourceType: unknown, id: unknown, username: unknown): Promise<{ allowed: boolean; permission: Permission }> {
    const type = validResourceType(resourceType);
    const user = await this.user(username);
    const principal: Principal = { kind: 'user', userId: user.id, username: user.username, actor: user.username, isAdmin: user.isAdmin, groups: [] };
    const permission = await this.access.permissionOn(principal, type, validResourceId(id, type));
    return { allowed: permission !== 'NO_PERMISSIONS', permission };
  }

  // ---- tokens ----------------------------------------------------------------------------------

  async createToken(
    caller: Principal,
    request: { name: unknown; username: unknown; scopes: unknown; serving_only: unknown; admin: unknown; expires_in_days: unknown },
  ): Promise<CreateTokenResponse> {
    // A scoped token must not mint an unscoped one for its owner: only people (and admin tokens) mint.
    if (caller.kind === 'token' && !caller.isAdmin) throw permissionDenied('Tokens cannot create tokens');
    const owner = request.username === undefined || request.username === caller.username ? await this.user(caller.username) : await this.user(request.username);
    if (owner.id !== caller.userId && !caller.isAdmin) throw permissionDenied('Only admins can create tokens for other users');
    const admin = request.admin === true;
    if (admin && !(caller.isAdmin && owner.isAdmin)) throw permissionDenied('Only an admin can create an admin token, and only for an admin');
    if (typeof request.name !== 'string' || request.name.trim() === '' || request.name.length > 200)
      throw invalidParameter("'name' must be a non-empty string of at most 200 characters");
    const days = request.expires_in_days === undefined ? DEFAULT_TOKEN_DAYS : Number(request.expires_in_days);
    if (!Number.isInteger(days) || days < 1 || days > MAX_TOKEN_DAYS)
      throw invalidParameter(`'expires_in_days' must be a whole number from 1 to ${MAX_TOKEN_DAYS}`);
    const tokenId = randomUUID();
    const minted = mintToken(tokenId);
    const record = await this.store.createToken({
      tokenId,
      userId: owner.id,
      name: request.name.trim(),
      secretSha256: minted.secretSha256,
      scopes: validScopes(request.scopes),
      servingOnly: request.serving_only === true,
      isAdmin: admin,
      expiresAt: new Date(Date.now() + days * 24 * 3600 * 1000),
    });
    return { token: tokenView(record), secret: minted.token };
  }

  async listTokens(caller: Principal, username: unknown): Promise<ApiToken[]> {
    if (username !== undefined && username !== caller.username) {
      if (!caller.isAdmin) throw permissionDenied('Only admins can list other users’ tokens');
      return (await this.store.listTokens((await this.user(username)).id)).map(tokenView);
    }
    if (caller.userId === undefined) return [];
    return (await this.store.listTokens(caller.isAdmin && username === undefined ? undefined : caller.userId)).map(tokenView);
  }

  async revokeToken(caller: Principal, tokenId: unknown): Promise<void> {
    if (typeof tokenId !== 'string' || !/^[0-9a-f-]{36}$/.test(tokenId)) throw invalidParameter("'token_id' must be a token id");
    const token = await this.store.findToken(tokenId);
    // Someone else's token looks like no token at all: ids are not secrets, but existence is nobody's business.
    if (!token || (token.userId !== caller.userId && !caller.isAdmin)) throw notFound(`Token ${tokenId} not found`);
    // A (non-admin) token may revoke itself, not its owner's other tokens.
    if (caller.kind === 'token' && !caller.isAdmin && caller.token?.id !== tokenId) throw permissionDenied('A token can only revoke itself');
    await this.store.revokeToken(tokenId, new Date());
    this.access.invalidate();
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private async user(username: unknown): Promise<UserRecord> {
    if (typeof username !== 'string' || username === '') throw invalidParameter("Missing value for required parameter 'username'");
    const user = await this.store.findUser(username);
    if (!user) throw notFound(`User with username=${username} not found`);
    return user;
  }

  private async view(user: UserRecord): Promise<AuthUser> {
    const grants = await this.store.userGrants(user.id);
    return {
      id: user.id,
      username: user.username,
      is_admin: user.isAdmin,
      experiment_permissions: grants
        .filter((g) => g.resourceType === 'experiment')
        .map((g) => ({ experiment_id: g.resourceId, user_id: user.id, permission: g.permission })),
      registered_model_permissions: grants
        .filter((g) => g.resourceType === 'registered_model')
        .map((g) => ({ name: g.resourceId, user_id: user.id, permission: g.permission })),
    };
  }
}

const label = (type: ResourceType) => (type === 'experiment' ? 'Experiment' : type === 'registered_model' ? 'Registered model' : 'Webhook');
const idLabel = (type: ResourceType) => (type === 'experiment' ? 'experiment_id' : type === 'registered_model' ? 'name' : 'webhook_id');

function validUsername(value: unknown): string {
  if (typeof value !== 'string' || !USERNAME_PATTERN.test(value)) throw invalidParameter(`'username' ${USERNAME_RULE}`);
  return value;
}

function validPassword(value: unknown): string {
  if (typeof value !== 'string' || value.length < MIN_PASSWORD_LENGTH || value.length > MAX_PASSWORD_LENGTH) {
    throw invalidParameter(`'password' must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
  }
  return value;
}

function validPermission(value: unknown): Permission {
  if (!isPermission(value)) throw invalidParameter(`Invalid permission '${String(value)}': use one of READ, EDIT, MANAGE, NO_PERMISSIONS`);
  return value;
}

function validResourceType(value: unknown): ResourceType {
  if (typeof value !== 'string' || !(RESOURCE_TYPES as readonly string[]).includes(value)) {
    throw invalidParameter(`Unsupported resource_type '${String(value)}': use experiment or registered_model`);
  }
  return value as ResourceType;
}

function validResourceId(value: unknown, type: ResourceType): string {
  const id = typeof value === 'number' ? String(value) : value;
  if (typeof id !== 'string' || id === '' || id.length > 1000) throw invalidParameter(`Missing value for required parameter '${idLabel(type)}'`);
  if (type === 'experiment') {
    if (!/^\d{1,18}$/.test(id)) throw invalidParameter(`Invalid experiment_id '${id}'`);
    // Granted under its canonical spelling: a grant on '007' is the grant on experiment 7.
    return canonicalExperimentId(id);
  }
  return id;
}

function validScopes(value: unknown): TokenScope[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 1000) throw invalidParameter("'scopes' must be a list of {resource_type, resource_id, permission}");
  return value.map((s: unknown, i) => {
    const scope = (s ?? {}) as Record<string, unknown>;
    const resourceType = validResourceType(scope['resource_type']);
    const resourceId = scope['resource_id'] === '*' ? '*' : validResourceId(scope['resource_id'], resourceType);
    if (!isPermission(scope['permission'])) throw invalidParameter(`scopes[${i}].permission must be READ, EDIT, MANAGE or NO_PERMISSIONS`);
    return { resourceType, resourceId, permission: scope['permission'] };
  });
}

function tokenView(t: TokenRecord): ApiToken {
  return {
    token_id: t.tokenId,
    name: t.name,
    username: t.username,
    scopes: t.scopes.map((s) => ({ resource_type: s.resourceType, resource_id: s.resourceId, permission: s.permission })),
    serving_only: t.servingOnly,
    admin: t.isAdmin,
    created_at: t.createdAt.getTime(),
    expires_at: t.expiresAt?.getTime() ?? null,
    revoked_at: t.revokedAt?.getTime() ?? null,
    last_used_at: t.lastUsedAt?.getTime() ?? null,
  };
}
