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
 * its endpoints, and completing a sign-in from the code the provider sent the browser back with.
 */
export interface OidcSignIn {
  endpoints(): Promise<OidcEndpoints>;
  /**
   * Redeems the code at the token endpoint (with the PKCE verifier), checks the ID token for this
   * client and the sign-in's nonce, and reads from userinfo the user name or groups the ID token
   * lacks. InvalidTokenError when the provider refuses the code or the token does not verify.
   */
  completeSignIn(request: { code: string; codeVerifier: string; redirectUri: string; nonce: string }): Promise<OidcIdentity>;
}

export const OIDC_SIGN_IN = Symbol('OidcSignIn');
