/** An OAuth 2.0 client of the identity provider that Kafka trusts (client-credentials grant, RFC 6749 §4.4). */
export interface OAuthClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  /** RFC 8707 resource indicator (the token's audience at providers that use it). */
  resource?: string;
  /** `audience`, as Auth0 and some others name the same thing. */
  audience?: string;
}

export interface TokenProviderOptions {
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  now?: () => number;
  /** Per token request. */
  timeoutMs?: number;
}

/**
 * Refresh once this share of a token's lifetime has passed, as Kafka's own clients do
 * (`sasl.login.refresh.window.factor`, 0.8): a connection authenticating, or re-authenticating when
 * the broker's session ends (`connections.max.reauth.ms`), is never handed a token about to expire.
 */
const REFRESH_AT_LIFETIME_SHARE = 0.8;

/**
 * kafkajs's `oauthBearerProvider` for the client-credentials grant: kafkajs asks for a token on
 * every SASL authentication (each new broker connection, each re-authentication) and leaves caching
 * and refreshing to the provider. One token is shared until 80 % of its lifetime (`expires_in`, else
 * the JWT's `exp`) has passed; concurrent connections wait on one request. A failure names the
 * endpoint and the provider's `error`, never the secret.
 */
export function clientCredentialsTokenProvider(client: OAuthClientCredentials, options: TokenProviderOptions = {}): () => Promise<{ value: string }> {
  const fetchImpl = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  let current: Token | undefined;
  let pending: Promise<Token> | undefined;

  const request = async (): Promise<Token> => {
    const issuedAt = now();
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (client.scope !== undefined) form.set('scope', client.scope);
    if (client.resource !== undefined) form.set('resource', client.resource);
    if (client.audience !== undefined) form.set('audience', client.audience);
    // client_secret_basic (RFC 6749 §2.3.1: both parts form-encoded before base64).
    const basic = Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64');
    let response: Response;
    try {
      response = await fetchImpl(client.tokenUrl, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new TokenEndpointError(`Kafka OAUTHBEARER: the token endpoint ${client.tokenUrl} did not answer (${(error as Error).message})`, true);
    }
    const body = (await response.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown };
    if (!response.ok || typeof body.access_token !== 'string' || body.access_token === '') {
      const reason =
        typeof body.error === 'string' ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}` : 'no access_token';
      // A provider that is down or overloaded may answer next time; a refused client will not.
      const retriable = response.status >= 500 || response.status === 429;
      throw new TokenEndpointError(
        `Kafka OAUTHBEARER: the token endpoint ${client.tokenUrl} refused client ${client.clientId} (${response.status}, ${reason})`,
        retriable,
      );
    }
    const lifetimeMs = typeof body.expires_in === 'number' ? body.expires_in * 1000 : jwtExpiry(body.access_token) - issuedAt;
    // Without a known lifetime, no reuse: every authentication asks for a fresh token.
    if (!Number.isFinite(lifetimeMs) || lifetimeMs <= 0) return { value: body.access_token, refreshAt: issuedAt, expiresAt: issuedAt };
    return { value: body.access_token, refreshAt: issuedAt + lifetimeMs * REFRESH_AT_LIFETIME_SHARE, expiresAt: issuedAt + lifetimeMs };
  };

  return async () => {
    if (current !== undefined && now() < current.refreshAt) return { value: current.value };
    pending ??= request().finally(() => (pending = undefined));
    try {
      current = await pending;
    } catch (error) {
      // The provider is away while the token still holds: keep using it, and ask again next time.
      if (current !== undefined && now() < current.expiresAt) return { value: current.value };
      throw error;
    }
    return { value: current.value };
  };
}

/** `retriable` as kafkajs marks its errors, which is what a start's readiness wait reads (kafka-readiness.ts). */
export class TokenEndpointError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
    this.name = 'TokenEndpointError';
  }
}

interface Token {
  value: string;
  refreshAt: number;
  expiresAt: number;
}

/** A JWT's `exp` in epoch milliseconds; NaN when the token is not a JWT or has none (an opaque token). */
function jwtExpiry(token: string): number {
  const payload = token.split('.')[1];
  if (payload === undefined) return Number.NaN;
  try {
    const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof exp === 'number' ? exp * 1000 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
