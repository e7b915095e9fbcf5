/** Who an OIDC bearer token (or a finished browser sign-in) says the caller is. */
export interface OidcIdentity {
  subject: string;
  username: string;
  groups: string[];
  /** Seconds since the epoch; the token is not trusted past it. */
  expiresAt: number;
}

/**
 * Checks a JWT from the configured issuer (signature against its JWKS, `iss`, `aud`, `exp`/`nbf`
 * with bounded skew) and reads the configured claims. Throws InvalidTokenError on any failure.
 */
export interface OidcVerifier {
  verify(jwt: string): Promise<OidcIdentity>;
}

export const OIDC_VERIFIER = Symbol('OidcVerifier');

export class InvalidTokenError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidTokenError';
  }
}

/** The identity provider's endpoints a browser sign-in needs, from its discovery document. */
export interface OidcEndpoints {
  authorizationEndpoint: string;
  endSessionEndpoint: string | undefined;
  /** What to ask for: `openid` and those of profile, email and the groups scope the provider offers. */
  scopes: string[];
}

/**
 * The authorization-code flow's calls to the identity provider (the browser carries the rest):
 * its endpoints, redeeming a code with the PKCE verifier, and checking the returned ID token.
 */
export interface OidcSignIn {
  endpoints(): Promise<OidcEndpoints>;
  /** The ID token the token endpoint returns for `code`; InvalidTokenError when it refuses. */
  redeemCode(code: string, codeVerifier: string, redirectUri: string): Promise<string>;
  /** Checks an ID token for this client (`aud` = client id) and its `nonce`. */
  verifyIdToken(jwt: string, nonce: string): Promise<OidcIdentity>;
}

export const OIDC_SIGN_IN = Symbol('OidcSignIn');
