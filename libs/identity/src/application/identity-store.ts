import type { Permission, ResourceType, TokenScope } from '@cairn/contracts';

export interface UserRecord {
  id: number;
  username: string;
  passwordHash: string | null;
  isAdmin: boolean;
  source: 'local' | 'oidc';
}

export interface GrantRecord {
  resourceType: ResourceType;
  resourceId: string;
  permission: Permission;
}

export interface TokenRecord {
  tokenId: string;
  userId: number;
  username: string;
  ownerIsAdmin: boolean;
  name: string;
  secretSha256: Uint8Array;
  scopes: TokenScope[];
  servingOnly: boolean;
  isAdmin: boolean;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface SessionRecord {
  userId: number;
  username: string;
  isAdmin: boolean;
  csrfToken: string;
  groups: string[];
  expiresAt: Date;
}

export interface NewToken {
  tokenId: string;
  userId: number;
  name: string;
  secretSha256: Buffer;
  scopes: TokenScope[];
  servingOnly: boolean;
  isAdmin: boolean;
  expiresAt: Date | null;
}

/** Identity's tables (users, grants, tokens, sessions). Every write announces a change to every replica. */
export interface IdentityStore {
  findUser(username: string): Promise<UserRecord | undefined>;
  findUserById(id: number): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;
  /** undefined when the name is taken. */
  createUser(user: { username: string; passwordHash: string | null; isAdmin: boolean; source: 'local' | 'oidc' }): Promise<UserRecord | undefined>;
  updatePassword(userId: number, passwordHash: string): Promise<void>;
  updateAdmin(userId: number, isAdmin: boolean): Promise<void>;
  deleteUser(userId: number): Promise<void>;

  userGrants(userId: number): Promise<GrantRecord[]>;
  groupGrants(groups: readonly string[]): Promise<Map<string, GrantRecord[]>>;
  getUserGrant(userId: number, type: ResourceType, id: string): Promise<GrantRecord | undefined>;
  /** Sets (insert or replace) one user's grant on one resource. */
  putUserGrant(userId: number, grant: GrantRecord): Promise<void>;
  /** false when there was none. */
  deleteUserGrant(userId: number, type: ResourceType, id: string): Promise<boolean>;
  putGroupGrant(group: string, grant: GrantRecord): Promise<void>;
  deleteGroupGrant(group: string, type: ResourceType, id: string): Promise<boolean>;
  /** A registered model renamed: its grants follow it. */
  renameResource(type: ResourceType, from: string, to: string): Promise<void>;
  /** A resource deleted for good (a registered model, whose name may be reused): its grants go. */
  deleteResourceGrants(type: ResourceType, id: string): Promise<void>;

  createToken(token: NewToken): Promise<TokenRecord>;
  findToken(tokenId: string): Promise<TokenRecord | undefined>;
  listTokens(userId: number | undefined): Promise<TokenRecord[]>;
  revokeToken(tokenId: string, at: Date): Promise<boolean>;
  touchToken(tokenId: string, at: Date): Promise<void>;

  findSession(sessionSha256: Buffer, now: Date): Promise<SessionRecord | undefined>;

  // ---- browser sign-in (OIDC authorization code + PKCE) ----
  createLoginRequest(request: LoginRequestRecord): Promise<void>;
  /** Deletes the request and returns it (each state is redeemed once); undefined when unknown or expired. */
  takeLoginRequest(state: string, now: Date): Promise<LoginRequestRecord | undefined>;
  createSession(session: NewSession): Promise<void>;
  deleteSession(sessionSha256: Buffer): Promise<void>;
  /** Drops expired sessions and abandoned sign-ins. */
  pruneExpired(now: Date): Promise<void>;
}

/** A sign-in in flight, keyed by the `state` sent to the identity provider. */
export interface LoginRequestRecord {
  state: string;
  codeVerifier: string;
  nonce: string;
  returnTo: string;
  expiresAt: Date;
}

export interface NewSession {
  sessionSha256: Buffer;
  userId: number;
  csrfToken: string;
  groups: string[];
  expiresAt: Date;
}

export const IDENTITY_STORE = Symbol('IdentityStore');
