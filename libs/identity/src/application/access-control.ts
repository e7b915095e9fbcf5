import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  CairnError,
  EVERY_RESOURCE,
  permissionAllows,
  permissionDenied,
  unauthenticated,
  type AccessContext,
  type AccessLookup,
  type AccessRequest,
  type Permission,
  type Principal,
  type ReadScope,
  type ResourceType,
  type RouteAccess,
} from '@cairn/contracts';
import { CONFIG, type CairnConfig } from '@cairn/platform';
import { credentialCacheKey, parseAuthorization, secretMatches, sha256 } from '../domain/credentials';
import { effectivePermission, grantKey, readScope, type GrantMap, type PermissionInputs } from '../domain/effective-permission';
import { FailureLimiter } from '../domain/failure-limiter';
import { passwordMatches } from '../infra/passwords';
import { IDENTITY_STORE, type GrantRecord, type IdentityStore } from './identity-store';
import { InvalidTokenError, OIDC_VERIFIER, type OidcVerifier } from './oidc-verifier';

/** What the guard hands over of an HTTP request: only what authentication reads. */
export interface PresentedCredentials {
  authorization: string | undefined;
  sessionCookie: string | undefined;
  csrfHeader: string | undefined;
  /** GET/HEAD/OPTIONS: a cookie-authenticated request needs no CSRF token. */
  safeMethod: boolean;
  /**
   * The browser says the request comes from a page of this origin (`Sec-Fetch-Site: same-origin`,
   * a header no page can set): proof enough for a cookie-authenticated write, as the CSRF token is.
   */
  sameOrigin: boolean;
  /**
   * The browser says a page of another site sent it (`Sec-Fetch-Site: cross-site` or `same-site`).
   * Browsers replay Basic credentials they cached after a challenge on such requests too, so a
   * Basic-authenticated write from there is a forgery (CSRF); non-browser clients send no such header.
   */
  fromOtherSite: boolean;
  clientAddress: string;
  route: string;
}

const CACHE_LIMIT = 10_000;
/** last_used_at is written at most this often per token (it is for humans, not for audit). */
const TOKEN_TOUCH_INTERVAL_MS = 60_000;
/** Without a working LISTEN, caches are trusted this long (a revocation then takes up to this). */
const UNLISTENED_TTL_MS = 1000;

interface Cached<T> {
  value: T;
  until: number;
}

/**
 * Authentication and authorization for every route of every service: who is calling (Basic
 * password, Cairn token, OIDC bearer JWT, browser session) and whether the route's access entry lets
 * it through. Verified credentials and loaded grants are cached per process and dropped whenever any
 * replica commits an identity change (the `cairn_identity` NOTIFY), so the hot paths pay no argon2 and
 * no query per request, and a revocation is refused everywhere within milliseconds.
 */
@Injectable()
export class AccessControl {
  private readonly logger = new Logger('identity');
  private readonly principals = new Map<string, Cached<Principal>>();
  private readonly grants = new Map<string, Cached<GrantMap>>();
  /**
   * Checks in flight, by cache key: 64 clients starting together with one password must cost one
   * argon2 verification (tens of milliseconds of CPU), not 64.
   */
  private readonly verifying = new Map<string, Promise<Principal>>();
  private readonly loadingGrants = new Map<string, Promise<GrantMap>>();
  /** Per client address and user name, and per address alone (ten times looser: a spray of names). */
  private readonly failures: FailureLimiter;
  private readonly addressFailures: FailureLimiter;
  private readonly lastTouched = new Map<string, number>();
  private generation = 0;
  /** Whether change notices are arriving now (else caches live UNLISTENED_TTL_MS); set by IdentityLifecycle. */
  listening: () => boolean = () => false;

  constructor(
    @Inject(IDENTITY_STORE) private readonly store: IdentityStore,
    @Inject(CONFIG) private readonly config: CairnConfig,
    @Optional() @Inject(OIDC_VERIFIER) private readonly oidc: OidcVerifier | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.failures = new FailureLimiter(config.auth.maxFailuresPerMinute, now);
    this.addressFailures = new FailureLimiter(config.auth.maxFailuresPerMinute * 10, now);
  }

  get enabled(): boolean {
    return this.config.auth.mode !== 'none';
  }

  get mode(): CairnConfig['auth']['mode'] {
    return this.config.auth.mode;
  }

  /** What a signed-in user holds where nobody granted it anything: everything when auth is off. */
  get defaultPermission(): Permission {
    return this.enabled ? this.config.auth.defaultPermission : 'MANAGE';
  }

  /** Some replica changed users, grants, tokens or sessions: forget everything derived from them. */
  invalidate(): void {
    this.generation++;
    this.principals.clear();
    this.grants.clear();
  }

  // ---- authentication ------------------------------------------------------------------------

  /** The caller, or undefined when it presented nothing. Throws 401/429 for bad credentials. */
  async authenticate(presented: PresentedCredentials): Promise<Principal | undefined> {
    const credentials = parseAuthorization(presented.authorization);
    if (credentials === undefined) return presented.sessionCookie === undefined ? undefined : this.sessionPrincipal(presented);
    if (credentials.kind === 'basic' && !presented.safeMethod && presented.fromOtherSite) {
      this.logger.warn(`cross-site write with Basic credentials refused on ${presented.route}`);
      throw permissionDenied('A write from another site with browser-held Basic credentials is refused (CSRF)');
    }
    const cacheKey = credentialCacheKey(presented.authorization ?? '');
    const cached = this.fromCache(this.principals, cacheKey);
    if (cached) {
      if (cached.token) this.touchToken(cached.token.id);
      return cached;
    }
    const inFlight = this.verifying.get(cacheKey);
    if (inFlight) return inFlight;
    const verification = this.verify(credentials, cacheKey, presented).finally(() => this.verifying.delete(cacheKey));
    this.verifying.set(cacheKey, verification);
    return verification;
  }

  private async verify(
    credentials: Exclude<ReturnType<typeof parseAuthorization>, undefined>,
    cacheKey: string,
    presented: PresentedCredentials,
  ): Promise<Principal> {
    const generation = this.generation;
    // Per client and claimed identity: one attacker's bad tokens must not block everybody's.
    const claimed = credentials.kind === 'basic' ? credentials.username : credentials.kind === 'token' ? `token:${credentials.tokenId}` : credentials.kind;
    const limiterKey = `${presented.clientAddress}|${claimed}`;
    if (this.failures.isBlocked(limiterKey) || this.addressFailures.isBlocked(presented.clientAddress)) {
      this.logger.warn(`sign-in refused: too many failures from ${presented.clientAddress} (${credentials.kind}) on ${presented.route}`);
      throw new CairnError('REQUEST_LIMIT_EXCEEDED', 'Too many failed sign-in attempts; try again in a minute');
    }
    const fail = (reason: string, who: string): never => {
      this.failures.recordFailure(limiterKey);
      this.addressFailures.recordFailure(presented.clientAddress);
      this.logger.warn(`sign-in failed: ${reason} (principal ${who}, from ${presented.clientAddress}, route ${presented.route})`);
      throw unauthenticated(reason === 'malformed' ? 'Malformed credentials' : 'Invalid credentials');
    };
    let principal: Principal;
    let until = this.now() + this.ttlMs();
    switch (credentials.kind) {
      case 'malformed':
        return fail(`malformed: ${credentials.reason}`, 'unknown');
      case 'basic': {
        if (this.config.auth.mode !== 'basic' && this.config.auth.mode !== 'oidc') return fail('password sign-in disabled', credentials.username);
        const user = await this.store.findUser(credentials.username);
        // Verify against a fixed hash when the user is unknown, so timing does not tell which names exist.
        const matches = await passwordMatches(user?.passwordHash ?? UNKNOWN_USER_HASH, credentials.password);
        if (!user || user.passwordHash === null || !matches) return fail('wrong user name or password', credentials.username);
        principal = { kind: 'user', userId: user.id, username: user.username, actor: user.username, isAdmin: user.isAdmin, groups: [] };
        break;
      }
      case 'token': {
        const token = await this.store.findToken(credentials.tokenId);
        if (!token || !secretMatches(credentials.secret, token.secretSha256)) return fail('unknown token', `token:${credentials.tokenId}`);
        if (token.revokedAt !== null) return fail('revoked token', `token:${token.tokenId}`);
        if (token.expiresAt !== null && token.expiresAt.getTime() <= this.now()) return fail('expired token', `token:${token.tokenId}`);
        if (token.expiresAt !== null) until = Math.min(until, token.expiresAt.getTime());
        principal = {
          kind: 'token',
          userId: token.userId,
          username: token.username,
          actor: `token:${token.tokenId}`,
          isAdmin: token.isAdmin && token.ownerIsAdmin,
          groups: [],
          token: { id: token.tokenId, scopes: token.scopes, servingOnly: token.servingOnly, ownerIsAdmin: token.ownerIsAdmin },
        };
        this.touchToken(token.tokenId);
        break;
      }
      case 'jwt': {
        if (this.config.auth.mode !== 'oidc' || this.oidc === undefined) return fail('bearer JWTs need CAIRN_AUTH=oidc', 'unknown');
        let identity;
        try {
          identity = await this.oidc.verify(credentials.jwt);
        } catch (error) {
          if (error instanceof InvalidTokenError) return fail(`invalid OIDC token: ${error.message}`, 'unknown');
          throw error;
        }
        principal = await this.oidcPrincipal(identity.username, identity.groups);
        until = Math.min(until, identity.expiresAt * 1000);
        break;
      }
    }
    this.toCache(this.principals, cacheKey, principal, until, generation);
    return principal;
  }

  /** A user signed in through OIDC (bearer or browser session), created on first sight. */
  async oidcPrincipal(username: string, groups: string[]): Promise<Principal> {
    let user = await this.store.findUser(username);
    if (!user) user = (await this.store.createUser({ username, passwordHash: null, isAdmin: false, source: 'oidc' })) ?? (await this.store.findUser(username));
    if (!user) throw unauthenticated('Invalid credentials');
    // A local account with a password is not taken over by an identity provider's user of the same name.
    if (user.source !== 'oidc') {
      this.logger.warn(`OIDC sign-in refused: '${username}' is a local user`);
      throw unauthenticated('Invalid credentials');
    }
    return this.signedInPrincipal(user.id, user.username, user.isAdmin, groups);
  }

  /** A person signed in through the identity provider (bearer JWT or browser session); the admin group makes an admin. */
  private signedInPrincipal(userId: number, username: string, isAdmin: boolean, groups: string[]): Principal {
    const adminGroup = this.config.auth.oidc?.adminGroup;
    return { kind: 'oidc', userId, username, actor: username, isAdmin: isAdmin || (adminGroup !== undefined && groups.includes(adminGroup)), groups };
  }

  private async sessionPrincipal(presented: PresentedCredentials): Promise<Principal | undefined> {
    const session = await this.store.findSession(sha256(presented.sessionCookie ?? ''), new Date(this.now()));
    if (!session) throw unauthenticated('Your session has expired; sign in again');
    if (!presented.safeMethod && !presented.sameOrigin) {
      // Cookie-authenticated writes must prove they come from our pages: the browser's fetch
      // metadata says so (MLflow's own UI, served from the same origin, sends no token), or, from
      // a browser without it, the double-submit token.
      const csrf = presented.csrfHeader ?? '';
      if (!secretMatches(csrf, sha256(session.csrfToken))) {
        this.logger.warn(`CSRF check failed for ${session.username} on ${presented.route}`);
        throw permissionDenied('Missing or wrong X-CSRF-Token header');
      }
    }
    return this.signedInPrincipal(session.userId, session.username, session.isAdmin, session.groups);
  }

  private touchToken(tokenId: string): void {
    const last = this.lastTouched.get(tokenId) ?? 0;
    if (this.now() - last < TOKEN_TOUCH_INTERVAL_MS) return;
    if (this.lastTouched.size > CACHE_LIMIT) this.lastTouched.clear();
    this.lastTouched.set(tokenId, this.now());
    this.store.touchToken(tokenId, new Date(this.now())).catch((error: Error) => this.logger.warn(`cannot record token use: ${error.message}`));
  }

  // ---- authorization -------------------------------------------------------------------------

  /**
   * Applies one route's access entry to the caller; throws 401 (no credentials where some are
   * needed) or 403 (not allowed). Returns the caller's access context for the handler.
   */
  async authorize(
    entry: RouteAccess | undefined,
    principal: Principal | undefined,
    request: AccessRequest,
    lookup: AccessLookup,
    route: string,
  ): Promise<void> {
    if (entry === undefined) {
      // Deny by default: a handler whose controller has no access table is a bug, refused loudly.
      this.logger.error(`route ${route} has no access rule: refused`);
      throw permissionDenied(`Route ${route} has no access rule`);
    }
    if (entry.kind === 'public') return;
    if (principal === undefined) throw unauthenticated();
    const deny = (why: string): never => {
      this.logger.warn(`permission denied: ${principal.actor} on ${route} (${why})`);
      throw permissionDenied(`Permission denied for ${principal.username} on ${route}`);
    };
    if (principal.token?.servingOnly && !(entry.kind !== 'admin' && entry.serving === true)) deny('serving token on a non-serving route');
    switch (entry.kind) {
      case 'admin':
        if (!principal.isAdmin) deny('admin only');
        return;
      case 'authenticated':
        // A scoped token creates only what its scopes cover: EDIT on every resource of the type.
        if (entry.creates !== undefined && principal.token !== undefined && principal.token.scopes.length > 0) {
          const type = entry.creates.type;
          const may = principal.token.scopes.some(
            (scope) => scope.resourceType === type && scope.resourceId === EVERY_RESOURCE && permissionAllows(scope.permission, 'EDIT'),
          );
          if (!may) deny(`token scopes do not cover creating a ${type}`);
        }
        return;
      case 'resource': {
        const resources = await entry.locate(request, lookup);
        if (resources.length === 0) return;
        const allows = (inputs: PermissionInputs) => {
          const allowed = resources.map((r) => permissionAllows(effectivePermission(inputs, r.type, r.id), r.need ?? entry.need));
          return entry.anyOf === true ? allowed.some(Boolean) : allowed.every(Boolean);
        };
        if (allows(await this.inputs(principal))) return;
        // Cached grants may predate a grant another replica just committed (its NOTIFY still on the
        // way): an experiment created through one tracking replica, used through the next. A refusal
        // is decided on the database's grants, never on a cache.
        if (allows(await this.inputs(principal, { fresh: true }))) return;
        deny(`needs ${resources.map((r) => `${r.need ?? entry.need} on ${r.type} ${r.id}`).join(entry.anyOf === true ? ' or ' : ' and ')}`);
        return;
      }
    }
  }

  /** The AccessContext a handler sees (searches filter by `readable`). */
  contextFor(principal: Principal): AccessContext {
    return {
      principal,
      readable: (type) => this.readable(principal, type),
      permissionOn: (type, id) => this.permissionOn(principal, type, id),
    };
  }

  async permissionOn(principal: Principal, type: ResourceType, id: string): Promise<Permission> {
    return effectivePermission(await this.inputs(principal), type, id);
  }

  async readable(principal: Principal, type: ResourceType): Promise<ReadScope> {
    return readScope(await this.inputs(principal), type);
  }

  /** `fresh`: read the grants from the database (and cache them) instead of trusting the cache. */
  private async inputs(principal: Principal, options: { fresh?: boolean } = {}): Promise<PermissionInputs> {
    const grantsOf = (subject: string) => (options.fresh ? this.loadGrants(subject) : this.grantsOf(subject));
    const userGrants = principal.userId === undefined ? new Map<string, Permission>() : await grantsOf(`user:${principal.userId}`);
    const groupGrants = principal.groups.length === 0 ? [] : await Promise.all(principal.groups.map((g) => grantsOf(`group:${g}`)));
    return { principal, userGrants, groupGrants, defaultPermission: this.config.auth.defaultPermission };
  }

  private async grantsOf(subject: string): Promise<GrantMap> {
    const cached = this.fromCache(this.grants, subject);
    if (cached) return cached;
    const inFlight = this.loadingGrants.get(subject);
    if (inFlight) return inFlight;
    const loading = this.loadGrants(subject).finally(() => this.loadingGrants.delete(subject));
    this.loadingGrants.set(subject, loading);
    return loading;
  }

  private async loadGrants(subject: string): Promise<GrantMap> {
    const generation = this.generation;
    const [kind, name] = [subject.slice(0, subject.indexOf(':')), subject.slice(subject.indexOf(':') + 1)];
    const records: GrantRecord[] = kind === 'user' ? await this.store.userGrants(Number(name)) : ((await this.store.groupGrants([name])).get(name) ?? []);
    const map: GrantMap = new Map(records.map((g) => [grantKey(g.resourceType, g.resourceId), g.permission]));
    this.toCache(this.grants, subject, map, this.now() + this.ttlMs(), generation);
    return map;
  }

  // ---- caches --------------------------------------------------------------------------------

  private ttlMs(): number {
    return this.listening() ? this.config.auth.cacheTtlS * 1000 : UNLISTENED_TTL_MS;
  }

  private fromCache<T>(cache: Map<string, Cached<T>>, key: string): T | undefined {
    const entry = cache.get(key);
    if (entry === undefined) return undefined;
    if (entry.until <= this.now()) {
      cache.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Stores unless a change notice arrived while the value was being loaded (it may be stale). */
  private toCache<T>(cache: Map<string, Cached<T>>, key: string, value: T, until: number, generation: number): void {
    if (generation !== this.generation) return;
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, { value, until });
  }
}

// An argon2id hash of a random password nobody knows: verifying against it costs what a real check costs.
const UNKNOWN_USER_HASH = '$argon2id$v=19$m=19456,t=2,p=1$grFnq2OBbKJQqhEuZYYOWQ$IQetWCcn0DE99UFWyZ0XTMNF6OYcIid/6BsMM+0LUak';
