import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { CairnError, invalidParameter, permissionDenied, unauthenticated } from '@cairn/contracts';
import { CONFIG, type CairnConfig } from '@cairn/platform';
import { secretMatches, sha256 } from '../domain/credentials';
import { safeReturnTo } from '../domain/return-to';
import { AccessControl } from './access-control';
import { IDENTITY_STORE, type IdentityStore } from './identity-store';
import { InvalidTokenError, OIDC_SIGN_IN, type OidcIdentity, type OidcSignIn } from './oidc-verifier';

/** A sign-in must come back from the identity provider within this. */
const LOGIN_REQUEST_TTL_MS = 10 * 60_000;
/** A browser session lasts a working day; then the user signs in again (silently, if the IdP remembers them). */
export const SESSION_TTL_S = 8 * 3600;

/** 32 random bytes, base64url: 43 characters (PKCE's minimum length for a code verifier). */
const randomSecret = () => randomBytes(32).toString('base64url');

/** A session just opened: what the browser's cookies carry, and where it goes next. */
export interface OpenedSession {
  sessionId: string;
  csrfToken: string;
  returnTo: string;
}

/**
 * Browser sign-in for the web UI through the configured OpenID provider: authorization code with
 * PKCE (S256), `state` and `nonce` kept server-side for one use, the ID token checked like any bearer
 * token plus its nonce, then a server-side session (only its SHA-256 stored) that the cookies name.
 */
@Injectable()
export class SignInService {
  private readonly logger = new Logger('identity');

  constructor(
    @Inject(IDENTITY_STORE) private readonly store: IdentityStore,
    @Inject(AccessControl) private readonly access: AccessControl,
    @Inject(CONFIG) private readonly config: CairnConfig,
    @Optional() @Inject(OIDC_SIGN_IN) private readonly oidc: OidcSignIn | undefined,
  ) {}

  /** Where to send the browser: the provider's authorization endpoint, with this sign-in's PKCE challenge. */
  async start(returnTo: unknown, redirectUri: string): Promise<string> {
    const oidc = this.provider();
    const target = safeReturnTo(returnTo);
    if (target === undefined) throw invalidParameter("'return_to' must be a path on this server, such as /#/experiments");
    const endpoints = await oidc.endpoints();
    const now = Date.now();
    const request = {
      state: randomSecret(),
      nonce: randomSecret(),
      codeVerifier: randomSecret(),
      returnTo: target,
      expiresAt: new Date(now + LOGIN_REQUEST_TTL_MS),
    };
    // Abandoned sign-ins and ended sessions are swept here: sign-ins are rare enough to carry it.
    await this.store.pruneExpired(new Date(now));
    await this.store.createLoginRequest(request);
    const url = new URL(endpoints.authorizationEndpoint);
    const params = {
      response_type: 'code',
      client_id: this.config.auth.oidc?.clientId ?? '',
      redirect_uri: redirectUri,
      scope: endpoints.scopes.join(' '),
      state: request.state,
      nonce: request.nonce,
      code_challenge: sha256(request.codeVerifier).toString('base64url'),
      code_challenge_method: 'S256',
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.toString();
  }

  /** The provider sent the browser back: redeem the code, check the ID token, open a session. */
  async finish(query: { code: unknown; state: unknown; error: unknown }, redirectUri: string): Promise<OpenedSession> {
    const oidc = this.provider();
    const refuse = (why: string): never => {
      this.logger.warn(`browser sign-in failed: ${why}`);
      throw unauthenticated('Sign-in failed; start again from the sign-in page');
    };
    if (typeof query.state !== 'string' || query.state === '' || query.state.length > 100) return refuse('no state');
    const request = await this.store.takeLoginRequest(query.state, new Date());
    if (!request) return refuse('unknown, used or expired state');
    if (query.error !== undefined) return refuse(`the identity provider answered ${String(query.error).slice(0, 60)}`);
    if (typeof query.code !== 'string' || query.code === '' || query.code.length > 4096) return refuse('no code');
    let identity: OidcIdentity;
    try {
      identity = await oidc.completeSignIn({ code: query.code, codeVerifier: request.codeVerifier, redirectUri, nonce: request.nonce });
    } catch (error) {
      if (error instanceof InvalidTokenError) return refuse(error.message);
      throw error;
    }
    const principal = await this.access.oidcPrincipal(identity.username, identity.groups);
    if (principal.userId === undefined) return refuse('no user');
    const session = { sessionId: randomSecret(), csrfToken: randomSecret(), returnTo: request.returnTo };
    await this.store.createSession({
      sessionSha256: sha256(session.sessionId),
      userId: principal.userId,
      csrfToken: session.csrfToken,
      groups: identity.groups,
      expiresAt: new Date(Date.now() + SESSION_TTL_S * 1000),
    });
    this.logger.log(`browser sign-in: ${principal.username}`);
    return session;
  }

  /** Who the session cookie belongs to, and the CSRF token the web UI echoes on writes. */
  async current(sessionId: string | undefined, clientAddress: string): Promise<{ user: { username: string; is_admin: boolean }; csrf_token: string }> {
    // Browser sessions exist only with OIDC: elsewhere the route is off, like signing in.
    this.provider();
    const session = sessionId === undefined ? undefined : await this.store.findSession(sha256(sessionId), new Date());
    if (sessionId === undefined || !session) throw unauthenticated('No session; sign in at /auth/login');
    // The same principal every other route sees (admin through the admin group included).
    const principal = await this.access.authenticate({
      authorization: undefined,
      sessionCookie: sessionId,
      csrfHeader: undefined,
      safeMethod: true,
      sameOrigin: false,
      fromOtherSite: false,
      clientAddress,
      route: 'GET /auth/session',
    });
    if (!principal) throw unauthenticated('No session; sign in at /auth/login');
    return { user: { username: principal.username, is_admin: principal.isAdmin }, csrf_token: session.csrfToken };
  }

  /**
   * Ends the session. A write like any other: it needs the CSRF token, so another site cannot sign
   * the user out. Returns the provider's end-session endpoint, if it has one.
   */
  async logout(sessionId: string | undefined, csrfHeader: string | undefined): Promise<string | undefined> {
    if (sessionId !== undefined) {
      const session = await this.store.findSession(sha256(sessionId), new Date());
      if (session && !secretMatches(csrfHeader ?? '', sha256(session.csrfToken))) throw permissionDenied('Missing or wrong X-CSRF-Token header');
      await this.store.deleteSession(sha256(sessionId));
    }
    if (this.config.auth.mode !== 'oidc' || !this.oidc) return undefined;
    return (await this.oidc.endpoints().catch(() => undefined))?.endSessionEndpoint;
  }

  private provider(): OidcSignIn {
    if (this.config.auth.mode !== 'oidc' || this.oidc === undefined || this.config.auth.oidc?.clientId === undefined) {
      throw new CairnError('FEATURE_DISABLED', 'Browser sign-in needs CAIRN_AUTH=oidc and CAIRN_OIDC_CLIENT_ID');
    }
    return this.oidc;
  }
}
