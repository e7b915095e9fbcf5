import { Logger } from '@nestjs/common';
import { CairnError } from '@cairn/contracts';
import type { CairnConfig } from '@cairn/platform';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { groupsFromClaim, usernameFromClaims } from '../domain/oidc-claims';
import { InvalidTokenError, type OidcEndpoints, type OidcIdentity, type OidcSignIn, type OidcVerifier } from '../application/oidc-verifier';

type OidcConfig = NonNullable<CairnConfig['auth']['oidc']>;

/**
 * Asymmetric algorithms only. `none` and the HS* family are never accepted: with HS256 a token
 * "signed" with the issuer's public key (which anyone can fetch) would verify.
 */
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Every call to the identity provider (discovery, JWKS, token endpoint) gives up after this. */
const FETCH_TIMEOUT_MS = 5_000;
/** After a failed discovery, requests are answered 503 for this long before the next attempt. */
const DISCOVERY_RETRY_MS = 2_000;
/**
 * A token with an unknown `kid` refetches the JWKS (key rotation) at most this often. Shorter than
 * jose's 30 s default so a rotation is picked up quickly; still at most one fetch per 5 s per
 * replica however many forged kids arrive.
 */
const JWKS_COOLDOWN_MS = 5_000;
/** Keys are refetched this often anyway, so a key the issuer withdrew stops verifying. */
const JWKS_MAX_AGE_MS = 10 * 60_000;

const discoveryDocument = z.object({
  issuer: z.string(),
  jwks_uri: z.url(),
  authorization_endpoint: z.url().optional(),
  token_endpoint: z.url().optional(),
  userinfo_endpoint: z.url().optional(),
  end_session_endpoint: z.url().optional(),
  scopes_supported: z.array(z.string()).optional(),
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
});
type DiscoveryDocument = z.infer<typeof discoveryDocument>;

interface Discovered {
  document: DiscoveryDocument;
  keys: JWTVerifyGetKey;
}

const unavailable = (why: string) => new CairnError('TEMPORARILY_UNAVAILABLE', `The identity provider is unavailable: ${why}`);

/**
 * OIDC with `jose`: the issuer's discovery document is fetched on first use (an identity provider
 * that is down while Cairn boots does not stop the server; requests meanwhile get 503 and the next
 * one after a short pause tries again), its JWKS through jose's remote key set (an unknown `kid`
 * refetches it, so a rotated key is picked up), and every token is checked for signature, `iss`,
 * `aud`, `exp` and `nbf` with the configured skew. Failures are InvalidTokenError with a short
 * reason for the log; the token itself is never logged.
 */
export class JoseOidcVerifier implements OidcVerifier, OidcSignIn {
  private readonly logger = new Logger('identity');
  private discovered: Promise<Discovered> | undefined;
  private lastFailure: { at: number; error: CairnError } | undefined;

  constructor(private readonly config: OidcConfig) {}

  async verify(jwt: string): Promise<OidcIdentity> {
    return this.identityOf(await this.verifiedClaims(jwt, this.config.audience));
  }

  async completeSignIn(request: { code: string; codeVerifier: string; redirectUri: string; nonce: string }): Promise<OidcIdentity> {
    const clientId = this.config.clientId;
    if (clientId === undefined) throw new InvalidTokenError('no client id configured');
    const tokens = await this.redeemCode(clientId, request.code, request.codeVerifier, request.redirectUri);
    const claims = await this.verifiedClaims(tokens.idToken, clientId, { nonce: request.nonce, clientId });
    // Many providers put profile and group claims in userinfo only (OIDC Core §5.4): fill the gaps from there.
    const lacking = claims[this.config.usernameClaim] === undefined || claims[this.config.groupsClaim] === undefined;
    const fromUserinfo = lacking && tokens.accessToken !== undefined ? await this.userinfo(tokens.accessToken, claims.sub) : {};
    return this.identityOf({ ...fromUserinfo, ...claims });
  }

  async endpoints(): Promise<OidcEndpoints> {
    const { document } = await this.discovery();
    if (document.authorization_endpoint === undefined) throw unavailable('its discovery document has no authorization_endpoint');
    const offered = new Set(document.scopes_supported ?? ['profile', 'email']);
    const wanted = ['profile', 'email', this.config.groupsClaim];
    return {
      authorizationEndpoint: document.authorization_endpoint,
      endSessionEndpoint: document.end_session_endpoint,
      scopes: ['openid', ...wanted.filter((scope) => offered.has(scope))],
    };
  }

  private async redeemCode(
    clientId: string,
    code: string,
    codeVerifier: string,
    redirectUri: string,
  ): Promise<{ idToken: string; accessToken: string | undefined }> {
    const { document } = await this.discovery();
    if (document.token_endpoint === undefined) throw unavailable('its discovery document has no token_endpoint');
    const { clientSecret } = this.config;
    const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: codeVerifier });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    // client_secret_basic is the default (RFC 8414); _post only when the provider offers nothing else.
    const methods = document.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
    if (clientSecret === undefined) {
      form.set('client_id', clientId);
    } else if (methods.includes('client_secret_basic') || !methods.includes('client_secret_post')) {
      headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    let response: Response;
    try {
      response = await fetch(document.token_endpoint, {
        method: 'POST',
        headers,
        body: form,
        redirect: 'error',
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
    } catch (error) {
      throw unavailable(`token endpoint: ${(error as Error).message}`);
    }
    const body = (await response.json().catch(() => ({}))) as { id_token?: unknown; access_token?: unknown; error?: unknown };
    if (!response.ok) {
      if (response.status >= 500) throw unavailable(`token endpoint answered ${response.status}`);
      throw new InvalidTokenError(`token endpoint refused the code (${typeof body.error === 'string' ? body.error.slice(0, 100) : response.status})`);
    }
    if (typeof body.id_token !== 'string') throw new InvalidTokenError('token endpoint returned no id_token');
    return { idToken: body.id_token, accessToken: typeof body.access_token === 'string' ? body.access_token : undefined };
  }

  /** The userinfo claims (JSON only), which must be about the ID token's subject; none when the provider has no userinfo. */
  private async userinfo(accessToken: string, subject: string | undefined): Promise<Record<string, unknown>> {
    const { document } = await this.discovery();
    if (document.userinfo_endpoint === undefined) return {};
    let response: Response;
    try {
      response = await fetch(document.userinfo_endpoint, {
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
    } catch (error) {
      throw unavailable(`userinfo: ${(error as Error).message}`);
    }
    if (!response.ok) throw new InvalidTokenError(`userinfo answered ${response.status}`);
    if (!(response.headers.get('content-type') ?? '').includes('json')) {
      this.logger.warn('OIDC userinfo is not plain JSON (signed or encrypted userinfo is not supported): its claims are ignored');
      return {};
    }
    const claims = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    // OIDC Core §5.3.4: a userinfo response about anyone else must not be used.
    if (claims === undefined || claims['sub'] !== subject) throw new InvalidTokenError('userinfo is about another subject');
    return claims;
  }

  /** `idToken`: also the sign-in's nonce, and (OIDC Core §3.1.3.7) `azp` when it names several audiences. */
  private async verifiedClaims(jwt: string, audience: string, idToken?: { nonce: string; clientId: string }): Promise<JWTPayload> {
    const { keys } = await this.discovery();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(jwt, keys, {
        issuer: this.config.issuer,
        audience,
        algorithms: ALLOWED_ALGORITHMS,
        clockTolerance: this.config.clockSkewS,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      const reason = rejectionReason(error);
      if (reason === undefined) throw unavailable(`cannot read its keys (${(error as Error).message})`);
      throw new InvalidTokenError(reason);
    }
    if (idToken !== undefined) {
      if (payload['nonce'] !== idToken.nonce) throw new InvalidTokenError('nonce does not match the sign-in');
      if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload['azp'] !== idToken.clientId) throw new InvalidTokenError('azp is not this client');
    }
    return payload;
  }

  private identityOf(claims: JWTPayload): OidcIdentity {
    const username = usernameFromClaims(claims, this.config.usernameClaim);
    if (username === undefined) throw new InvalidTokenError(`no usable '${this.config.usernameClaim}' or 'sub' claim`);
    return {
      subject: typeof claims.sub === 'string' ? claims.sub : username,
      username,
      groups: groupsFromClaim(claims[this.config.groupsClaim]),
      expiresAt: claims.exp ?? 0,
    };
  }

  /** The discovery document and key set, fetched once; after a failure, again on a later request. */
  private discovery(): Promise<Discovered> {
    if (this.discovered) return this.discovered;
    if (this.lastFailure && Date.now() - this.lastFailure.at < DISCOVERY_RETRY_MS) return Promise.reject(this.lastFailure.error);
    this.discovered = this.discover().catch((error: unknown) => {
      const failure = error instanceof CairnError ? error : unavailable((error as Error).message);
      this.lastFailure = { at: Date.now(), error: failure };
      this.discovered = undefined;
      this.logger.warn(`OIDC discovery of ${this.config.issuer} failed: ${failure.message}`);
      throw failure;
    });
    return this.discovered;
  }

  private async discover(): Promise<Discovered> {
    const url = `${this.config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let response: Response;
    try {
      response = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch (error) {
      throw unavailable(`${url}: ${(error as Error).message}`);
    }
    if (!response.ok) throw unavailable(`${url} answered ${response.status}`);
    const parsed = discoveryDocument.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw unavailable(`${url} is not an OpenID discovery document`);
    // OpenID Connect Discovery §4.3: the issuer in the document must be exactly the one configured.
    if (parsed.data.issuer !== this.config.issuer)
      throw unavailable(`discovery names issuer '${parsed.data.issuer}', not CAIRN_OIDC_ISSUER '${this.config.issuer}'`);
    const keys = createRemoteJWKSet(new URL(parsed.data.jwks_uri), {
      timeoutDuration: FETCH_TIMEOUT_MS,
      cooldownDuration: JWKS_COOLDOWN_MS,
      cacheMaxAge: JWKS_MAX_AGE_MS,
    });
    this.logger.log(`OIDC issuer ${this.config.issuer}: discovered (keys from ${parsed.data.jwks_uri})`);
    return { document: parsed.data, keys };
  }
}

/** Why jose refused a token, in a few words; undefined when the failure was fetching the keys. */
function rejectionReason(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const { claim, reason } = error as { claim?: string; reason?: string };
      return `claim '${claim ?? '?'}' ${reason === 'missing' ? 'missing' : 'invalid'}`;
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'signing algorithm not allowed';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature does not verify';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'signed with a key the issuer does not publish';
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'ambiguous signing key';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'malformed token';
    default:
      return undefined;
  }
}
