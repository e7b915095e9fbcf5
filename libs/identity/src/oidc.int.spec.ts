import { Client } from 'pg';
import { SignJWT } from 'jose';
import {
  clientCredentialsToken,
  createTestDatabase,
  freePort,
  signingKey,
  startOidcProvider,
  waitFor,
  type ProviderSettings,
  type RunningProvider,
  type SigningKey,
  type TestDatabase,
} from '@cairn/testing';
import { startIdentityServer, type IdentityServer } from './testing/identity-server';

const AUDIENCE = 'https://cairn.test/api';
const OTHER_AUDIENCE = 'https://other.test/api';
const ADMIN_GROUP = 'cairn-admins';
const WEB_SECRET = 'web-client-secret-for-the-identity-tests';
const CI_SECRET = 'ci-client-secret-for-the-identity-tests';

/**
 * OIDC against a real OpenID provider (`oidc-provider`, in its own process): bearer JWTs checked
 * against its discovery document and JWKS, groups mapped to admin and to grants, key rotation, and
 * the browser sign-in (authorization code + PKCE) with its session cookie and CSRF check.
 */
describe('OIDC sign-in against a real OpenID provider', () => {
  let db: TestDatabase;
  let cairn: IdentityServer;
  let sql: Client;
  let provider: RunningProvider | undefined;
  let settings: ProviderSettings;
  let k1: SigningKey;
  let k2: SigningKey;
  let statusWhileProviderDown: number;

  const url = (p: string) => `${cairn.url}${p}`;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const get = (p: string, headers: Record<string, string> = {}) => fetch(url(p), { headers, redirect: 'manual' });
  const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url(p), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), redirect: 'manual' });
  const machineToken = (clientId: string, resource = AUDIENCE) => clientCredentialsToken(settings.issuer, clientId, CI_SECRET, resource);
  const restartProvider = async (changes: Partial<ProviderSettings>) => {
    await provider?.stop();
    settings = { ...settings, ...changes };
    provider = await startOidcProvider(settings);
  };
  /** A token signed by hand with `key`, claims like the provider's (for what the provider would never issue). */
  const handSigned = (key: SigningKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT({ preferred_username: 'team-a-ci', groups: ['team-a'], ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, ...header })
      .setIssuer(settings.issuer)
      .setAudience(AUDIENCE)
      .setSubject('team-a-ci')
      .setIssuedAt()
      .sign(key.privateKey);

  beforeAll(async () => {
    [k1, k2] = await Promise.all([signingKey('k1'), signingKey('k2')]);
    const port = await freePort();
    db = await createTestDatabase({ migrated: true });
    // Cairn first, its identity provider not yet up: the server must start regardless.
    cairn = await startIdentityServer({
      CAIRN_DATABASE_URL: db.url,
      CAIRN_AUTH: 'oidc',
      CAIRN_ADMIN_PASSWORD: 'the-first-admin-password',
      CAIRN_OIDC_ISSUER: `http://127.0.0.1:${port}`,
      CAIRN_OIDC_AUDIENCE: AUDIENCE,
      CAIRN_OIDC_CLIENT_ID: 'web',
      CAIRN_OIDC_CLIENT_SECRET: WEB_SECRET,
      CAIRN_OIDC_ADMIN_GROUP: ADMIN_GROUP,
      CAIRN_OIDC_CLOCK_SKEW_S: '5',
      // Verified tokens are trusted for a second (not 30): the rotation case waits for that.
      CAIRN_AUTH_CACHE_TTL_S: '1',
      // Several cases fail on purpose from one address; the limiter has its own specs.
      CAIRN_AUTH_MAX_FAILURES_PER_MINUTE: '1000',
    });
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    settings = {
      port,
      issuer: `http://127.0.0.1:${port}`,
      keys: [k1],
      resources: [AUDIENCE, OTHER_AUDIENCE],
      clients: [
        { client_id: 'platform-ci', client_secret: CI_SECRET, grant_types: ['client_credentials'], response_types: [], redirect_uris: [] },
        { client_id: 'team-a-ci', client_secret: CI_SECRET, grant_types: ['client_credentials'], response_types: [], redirect_uris: [] },
        {
          client_id: 'web',
          client_secret: WEB_SECRET,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          redirect_uris: [`${cairn.url}/auth/callback`],
          post_logout_redirect_uris: [`${cairn.url}/`],
        },
      ],
      claimsInIdToken: true,
      accountGroups: { alice: ['team-a'], root: [ADMIN_GROUP] },
      clientGroups: { 'platform-ci': [ADMIN_GROUP], 'team-a-ci': ['team-a'] },
    };
    statusWhileProviderDown = (await get('/api/2.0/mlflow/users/current', bearer(await handSigned(k1, { exp: Math.floor(Date.now() / 1000) + 300 })))).status;
    provider = await startOidcProvider(settings);
  });

  afterAll(async () => {
    await provider?.stop();
    await sql?.end();
    await cairn?.stop();
    await db?.drop();
  });

  it('starts while the identity provider is down (503 meanwhile), then accepts its tokens once it is up', async () => {
    expect(statusWhileProviderDown).toBe(503);
    const token = await machineToken('team-a-ci');
    // Discovery is retried on a later request (after a short pause), not only at boot.
    const response = await waitFor(async () => {
      const r = await get('/api/2.0/mlflow/users/current', bearer(token));
      return r.status === 200 ? r : undefined;
    });
    expect(await response.json()).toMatchObject({ user: { username: 'team-a-ci', is_admin: false } });
  });

  it('lets the admin group call admin routes, and refuses everyone else', async () => {
    const admin = await get('/api/2.0/mlflow/users/list', bearer(await machineToken('platform-ci')));
    expect(admin.status).toBe(200);
    expect(((await admin.json()) as { users: Array<{ username: string }> }).users.map((u) => u.username)).toContain('platform-ci');

    const member = await get('/api/2.0/mlflow/users/list', bearer(await machineToken('team-a-ci')));
    expect(member.status).toBe(403);
    expect(await member.json()).toMatchObject({ error_code: 'PERMISSION_DENIED' });
  });

  it('gives a group member what a grant to its group allows', async () => {
    const token = await machineToken('team-a-ci');
    const share = () =>
      post('/api/2.0/mlflow/experiments/permissions/create', { experiment_id: '42', username: 'platform-ci', permission: 'READ' }, bearer(token));
    expect((await share()).status).toBe(403);

    // team-a may manage experiment 42 (written as an operator would, announced like the store's writes).
    await sql.query(`INSERT INTO identity.group_grants VALUES ('team-a', 'experiment', '42', 'MANAGE')`);
    await sql.query(`SELECT pg_notify('cairn_identity', '')`);
    const shared = await waitFor(async () => {
      const r = await share();
      return r.status === 403 ? undefined : r;
    });
    expect(shared.status).toBe(200);
    expect(await shared.json()).toMatchObject({ experiment_permission: { experiment_id: '42', permission: 'READ' } });
  });

  it('refuses an expired token, one for another audience, an unsigned one, an HMAC one and one signed with a key the issuer does not publish', async () => {
    const current = (token: string) => get('/api/2.0/mlflow/users/current', bearer(token)).then((r) => r.status);
    const now = Math.floor(Date.now() / 1000);
    // The hand-signed control passes, so each refusal below is for the one thing that differs.
    expect(await current(await handSigned(k1, { exp: now + 300 }))).toBe(200);

    expect(await current(await handSigned(k1, { exp: now - 60, iat: now - 360 }))).toBe(401);
    expect(await current(await machineToken('team-a-ci', OTHER_AUDIENCE))).toBe(401);

    const unsigned = [
      { alg: 'none', typ: 'JWT' },
      { iss: settings.issuer, aud: AUDIENCE, sub: 'team-a-ci', preferred_username: 'team-a-ci', exp: now + 300 },
    ]
      .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
      .join('.');
    expect(await current(`${unsigned}.`)).toBe(401);

    // HS256 with a shared secret: the algorithm-confusion trick (an HMAC keyed with public material) is refused outright.
    const hmac = await new SignJWT({ preferred_username: 'team-a-ci', groups: [ADMIN_GROUP] })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(settings.issuer)
      .setAudience(AUDIENCE)
      .setSubject('team-a-ci')
      .setExpirationTime(now + 300)
      .sign(new TextEncoder().encode('a-secret-anyone-could-guess-from-the-jwks'));
    expect(await current(hmac)).toBe(401);

    const stranger = await signingKey('k1');
    expect(await current(await handSigned(stranger, { exp: now + 300 }))).toBe(401);

    const refused = await get('/api/2.0/mlflow/users/current', bearer(await handSigned(k1, { exp: now - 60 })));
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="cairn"');
    expect(await refused.json()).toMatchObject({ error_code: 'UNAUTHENTICATED' });
  });

  it('follows a signing key rotation: new-key tokens are accepted, old-key tokens refused once the key is gone', async () => {
    const oldToken = await machineToken('team-a-ci');
    expect((await get('/api/2.0/mlflow/users/current', bearer(oldToken))).status).toBe(200);

    await restartProvider({ keys: [k2] });
    const newToken = await machineToken('team-a-ci');
    // An unknown kid refetches the JWKS (at most every few seconds): poll, never sleep.
    const accepted = await waitFor(
      async () => {
        const r = await get('/api/2.0/mlflow/users/current', bearer(newToken));
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, message: 'a token signed with the new key to be accepted' },
    );
    expect(await accepted.json()).toMatchObject({ user: { username: 'team-a-ci' } });
    await waitFor(async () => ((await get('/api/2.0/mlflow/users/current', bearer(oldToken))).status === 401 ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 250,
      message: 'the old-key token to be refused',
    });
  });

  describe('browser sign-in (authorization code + PKCE)', () => {
    it('refuses a return_to that would leave the server (no open redirect)', async () => {
      for (const target of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
        const response = await get(`/auth/login?return_to=${encodeURIComponent(target)}`);
        expect(response.status).toBe(400);
        expect(response.headers.get('location')).toBeNull();
      }
    });

    it('signs in through the provider, then serves reads by cookie and writes by cookie plus CSRF token, until logout', async () => {
      const login = await get(`/auth/login?return_to=${encodeURIComponent('/#/experiments/42')}`);
      expect(login.status).toBe(302);
      const authorize = new URL(login.headers.get('location') ?? '');
      expect(`${authorize.origin}${authorize.pathname}`).toBe(`${settings.issuer}/auth`);
      const params = Object.fromEntries(authorize.searchParams);
      expect(params).toMatchObject({ response_type: 'code', client_id: 'web', redirect_uri: `${cairn.url}/auth/callback`, code_challenge_method: 'S256' });
      expect(params['code_challenge']).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(params['state']).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(params['nonce']).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(params['scope']?.split(' ')).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'groups']));

      const callback = await signInAtProvider(authorize, 'alice', cairn.url);
      const signedIn = await fetch(callback, { redirect: 'manual' });
      expect(signedIn.status).toBe(302);
      expect(signedIn.headers.get('location')).toBe('/#/experiments/42');
      const cookies = signedIn.headers.getSetCookie();
      const sessionCookie = cookies.find((c) => c.startsWith('cairn_session='));
      const csrfCookie = cookies.find((c) => c.startsWith('cairn_csrf='));
      expect(sessionCookie).toMatch(/; HttpOnly/);
      expect(sessionCookie).toMatch(/; SameSite=Lax/);
      expect(sessionCookie).toMatch(/; Path=\//);
      expect(csrfCookie).toMatch(/; SameSite=Lax/);
      expect(csrfCookie).not.toMatch(/HttpOnly/);
      const cookie = [sessionCookie, csrfCookie].map((c) => c?.split(';')[0]).join('; ');
      const csrf = csrfCookie?.split(';')[0]?.split('=')[1] ?? '';

      // The code and state are single use: replaying the callback opens nothing.
      expect((await fetch(callback, { redirect: 'manual' })).status).toBe(401);

      const session = await get('/auth/session', { cookie });
      expect(session.status).toBe(200);
      expect(await session.json()).toEqual({ user: { username: 'alice', is_admin: false }, csrf_token: csrf });
      expect(await (await get('/api/2.0/mlflow/users/current', { cookie })).json()).toMatchObject({ user: { username: 'alice' } });

      // A cookie alone does not authorize a write (another site could make the browser send it).
      const forged = await post('/api/2.0/cairn/tokens/create', { name: 'from-the-browser' }, { cookie });
      expect(forged.status).toBe(403);
      const crossSite = await post('/api/2.0/cairn/tokens/create', { name: 'from-the-browser' }, { cookie, 'sec-fetch-site': 'cross-site' });
      expect(crossSite.status).toBe(403);
      // A page of this origin (MLflow's own UI sends no token) is vouched for by the browser's fetch metadata.
      const sameOrigin = await post('/api/2.0/cairn/tokens/create', { name: 'from-mlflow-ui' }, { cookie, 'sec-fetch-site': 'same-origin' });
      expect(sameOrigin.status).toBe(200);
      const written = await post('/api/2.0/cairn/tokens/create', { name: 'from-the-browser' }, { cookie, 'x-csrf-token': csrf });
      expect(written.status).toBe(200);
      expect(await written.json()).toMatchObject({ token: { name: 'from-the-browser', username: 'alice' } });

      expect((await post('/auth/logout', {}, { cookie })).status).toBe(403);
      const logout = await post('/auth/logout', {}, { cookie, 'x-csrf-token': csrf });
      expect(logout.status).toBe(200);
      expect(logout.headers.getSetCookie()).toEqual(expect.arrayContaining([expect.stringMatching(/^cairn_session=;.*Max-Age=0/)]));
      expect((await get('/auth/session', { cookie })).status).toBe(401);
      expect((await get('/api/2.0/mlflow/users/current', { cookie })).status).toBe(401);
      // A stale cookie does not stand in the way of signing in again.
      expect((await get('/auth/login', { cookie })).status).toBe(302);
    });

    it('makes a member of the admin group an admin in the browser too, with groups the provider gives in userinfo only', async () => {
      await restartProvider({ claimsInIdToken: false });
      const login = await get('/auth/login');
      const signedIn = await fetch(await signInAtProvider(new URL(login.headers.get('location') ?? ''), 'root', cairn.url), { redirect: 'manual' });
      expect(signedIn.headers.get('location')).toBe('/');
      const cookie = signedIn.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      expect(await (await get('/auth/session', { cookie })).json()).toMatchObject({ user: { username: 'root', is_admin: true } });
      expect((await get('/api/2.0/mlflow/users/list', { cookie })).status).toBe(200);
    });
  });
});

/**
 * Plays the browser at the provider: follows its redirects with its cookies, submits the login form
 * (devInteractions accept any password) and the consent form, and returns the URL it finally sends
 * the browser to on Cairn (the callback with `code` and `state`).
 */
async function signInAtProvider(start: URL, login: string, cairnUrl: string): Promise<string> {
  const jar = new Map<string, string>();
  let next = start.href;
  let form: URLSearchParams | undefined;
  for (let step = 0; step < 20; step++) {
    const response = await fetch(next, {
      method: form ? 'POST' : 'GET',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form,
      redirect: 'manual',
    });
    for (const setCookie of response.headers.getSetCookie()) {
      const [pair = ''] = setCookie.split(';');
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1);
      if (value === '' || /max-age=0|expires=Thu, 01 Jan 1970/i.test(setCookie)) jar.delete(pair.slice(0, eq));
      else jar.set(pair.slice(0, eq), value);
    }
    form = undefined;
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location !== null) {
      next = new URL(location, next).href;
      if (next.startsWith(cairnUrl)) return next;
      continue;
    }
    const html = await response.text();
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (response.status !== 200 || prompt === undefined || action === undefined)
      throw new Error(`unexpected page at ${next} (${response.status}):\n${html.slice(0, 500)}`);
    next = new URL(action, next).href;
    form = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt });
  }
  throw new Error('the provider did not send the browser back to Cairn');
}

describe('browser sign-in without OIDC', () => {
  let db: TestDatabase;
  let cairn: IdentityServer;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    cairn = await startIdentityServer({ CAIRN_DATABASE_URL: db.url, CAIRN_AUTH: 'basic', CAIRN_ADMIN_PASSWORD: 'the-first-admin-password' });
  });

  afterAll(async () => {
    await cairn?.stop();
    await db?.drop();
  });

  it('says the feature is off (CAIRN_AUTH=basic) while passwords still work', async () => {
    const login = await fetch(`${cairn.url}/auth/login`, { redirect: 'manual' });
    expect(login.status).toBe(501);
    expect(await login.json()).toMatchObject({ error_code: 'FEATURE_DISABLED' });
    expect((await fetch(`${cairn.url}/auth/session`)).status).toBe(501);
    const basic = `Basic ${Buffer.from('admin:the-first-admin-password').toString('base64')}`;
    expect((await fetch(`${cairn.url}/api/2.0/mlflow/users/current`, { headers: { authorization: basic } })).status).toBe(200);
  });
});
