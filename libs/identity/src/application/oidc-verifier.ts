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
