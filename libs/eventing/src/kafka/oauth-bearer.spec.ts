import { clientCredentialsTokenProvider, type OAuthClientCredentials, type TokenEndpointError } from './oauth-bearer';

const client: OAuthClientCredentials = { tokenUrl: 'https://idp.example.com/token', clientId: 'cairn kafka', clientSecret: 's3cret:&', scope: 'kafka' };

/** A token endpoint answering each request with the next of `answers`, recording what it was sent. */
function tokenEndpoint(answers: Array<{ status?: number; body: Record<string, unknown> } | Error>) {
  const requests: Array<{ url: string; authorization: string; form: URLSearchParams }> = [];
  const fetch = async (url: string, init: RequestInit) => {
    requests.push({ url, authorization: String((init.headers as Record<string, string>)['authorization']), form: new URLSearchParams(String(init.body)) });
    const answer = answers.shift();
    if (answer === undefined) throw new Error('no more answers');
    if (answer instanceof Error) throw answer;
    return new Response(JSON.stringify(answer.body), { status: answer.status ?? 200, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, requests };
}

const jwtExpiringAt = (epochSeconds: number) =>
  ['{"alg":"RS256"}', JSON.stringify({ sub: 'cairn', exp: epochSeconds }), 'sig']
    .map((part, i) => (i < 2 ? Buffer.from(part).toString('base64url') : part))
    .join('.');

describe('the OAUTHBEARER token provider (client credentials)', () => {
  it('asks the token endpoint with the client’s credentials (client_secret_basic) and the scope', async () => {
    const endpoint = tokenEndpoint([{ body: { access_token: 'token-1', expires_in: 300, token_type: 'Bearer' } }]);
    expect(await clientCredentialsTokenProvider(client, { fetch: endpoint.fetch })()).toEqual({ value: 'token-1' });
    const [sent] = endpoint.requests;
    expect(sent?.url).toBe('https://idp.example.com/token');
    expect(Object.fromEntries(sent?.form ?? [])).toEqual({ grant_type: 'client_credentials', scope: 'kafka' });
    expect(Buffer.from(sent?.authorization.replace('Basic ', '') ?? '', 'base64').toString()).toBe('cairn%20kafka:s3cret%3A%26');
  });

  it('shares one token until 80 % of its lifetime has passed, then fetches the next', async () => {
    let now = 1_000_000;
    const endpoint = tokenEndpoint([{ body: { access_token: 'token-1', expires_in: 100 } }, { body: { access_token: 'token-2', expires_in: 100 } }]);
    const provider = clientCredentialsTokenProvider(client, { fetch: endpoint.fetch, now: () => now });
    const concurrent = await Promise.all([provider(), provider(), provider()]);
    expect(concurrent.map((t) => t.value)).toEqual(['token-1', 'token-1', 'token-1']);
    now += 79_000;
    expect((await provider()).value).toBe('token-1');
    now += 2_000;
    expect((await provider()).value).toBe('token-2');
    expect(endpoint.requests).toHaveLength(2);
  });

  it('takes the lifetime from the JWT’s exp when the endpoint gives no expires_in', async () => {
    let now = 1_700_000_000_000;
    const token = jwtExpiringAt(now / 1000 + 100);
    const endpoint = tokenEndpoint([{ body: { access_token: token } }, { body: { access_token: 'next' } }]);
    const provider = clientCredentialsTokenProvider(client, { fetch: endpoint.fetch, now: () => now });
    expect((await provider()).value).toBe(token);
    now += 70_000;
    expect((await provider()).value).toBe(token);
    now += 11_000;
    expect((await provider()).value).toBe('next');
  });

  it('keeps a still-valid token while the endpoint is away, and fails once it has expired', async () => {
    let now = 0;
    const endpoint = tokenEndpoint([{ body: { access_token: 'token-1', expires_in: 100 } }, new Error('ECONNREFUSED'), new Error('ECONNREFUSED')]);
    const provider = clientCredentialsTokenProvider(client, { fetch: endpoint.fetch, now: () => now });
    await provider();
    now = 90_000;
    expect((await provider()).value).toBe('token-1');
    now = 101_000;
    await expect(provider()).rejects.toThrow('Kafka OAUTHBEARER: the token endpoint https://idp.example.com/token did not answer (ECONNREFUSED)');
  });

  it('marks an endpoint that is away or overloaded as worth waiting for (a start waits), a refused client as final', async () => {
    const errorOf = async (answer: { status?: number; body: Record<string, unknown> } | Error) =>
      clientCredentialsTokenProvider(client, { fetch: tokenEndpoint([answer]).fetch })().catch((error: unknown) => error as TokenEndpointError);
    expect(await errorOf(new Error('ECONNREFUSED'))).toMatchObject({ retriable: true });
    expect(await errorOf({ status: 503, body: {} })).toMatchObject({ retriable: true });
    expect(await errorOf({ status: 400, body: { error: 'invalid_scope' } })).toMatchObject({ retriable: false });
  });

  it('says why the endpoint refused, never repeating the secret', async () => {
    const endpoint = tokenEndpoint([{ status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } }]);
    const failure = clientCredentialsTokenProvider(client, { fetch: endpoint.fetch })();
    await expect(failure).rejects.toThrow(
      'Kafka OAUTHBEARER: the token endpoint https://idp.example.com/token refused client cairn kafka (401, invalid_client: client authentication failed)',
    );
    await expect(failure).rejects.not.toThrow(/s3cret/);
  });
});
