import { createTestDatabase, type TestDatabase } from '@cairn/testing';
import { startIdentityServer, type IdentityServer } from './testing/identity-server';

const ADMIN = { authorization: `Basic ${Buffer.from('admin:cross-site-admin-password').toString('base64')}` };

// After a 401 with `WWW-Authenticate: Basic`, a browser keeps the credentials the user typed and
// sends them with every later request to this origin — also with a form another site's page
// submits. Such a write must be refused; the mlflow client (no fetch metadata) and pages of this
// origin (MLflow's UI served by Cairn: `Sec-Fetch-Site: same-origin`) keep working.
describe('writes with Basic credentials from another site (CSRF)', () => {
  let db: TestDatabase;
  let server: IdentityServer;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    server = await startIdentityServer({ CAIRN_DATABASE_URL: db.url, CAIRN_AUTH: 'basic', CAIRN_ADMIN_PASSWORD: 'cross-site-admin-password' });
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const createUser = async (username: string, headers: Record<string, string>) => {
    const response = await fetch(`${server.url}/api/2.0/mlflow/users/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...ADMIN, ...headers },
      body: JSON.stringify({ username, password: `${username}-password-1` }),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  const userExists = async (username: string) =>
    (await fetch(`${server.url}/api/2.0/mlflow/users/get?username=${username}`, { headers: ADMIN })).status === 200;

  it('refuses the write with 403 PERMISSION_DENIED, and nothing is written', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const forged = await createUser(`forged-${site}`, { 'sec-fetch-site': site });
      expect(forged).toEqual({ status: 403, json: { error_code: 'PERMISSION_DENIED', message: expect.stringContaining('another site') } });
      expect(await userExists(`forged-${site}`)).toBe(false);
    }
  });

  it('without fetch metadata (Chromium to a plain-http origin, older Safari), judges by Origin against the Host', async () => {
    for (const origin of ['http://evil.example', 'null']) {
      const forged = await createUser(`forged-origin-${origin.length}`, { origin });
      expect(forged.status).toBe(403);
      expect(await userExists(`forged-origin-${origin.length}`)).toBe(false);
    }
    const own = await createUser('from-own-origin', { origin: server.url });
    expect(own.status).toBe(200);
    // Behind a proxy, the host the browser sent the request to is the forwarded one.
    const proxied = await createUser('from-proxied-origin', { origin: 'https://mlflow.example', 'x-forwarded-host': 'mlflow.example' });
    expect(proxied.status).toBe(200);
  });

  it('takes the same write from the mlflow client (no fetch metadata) and from a page of this origin', async () => {
    expect((await createUser('from-client', {})).status).toBe(200);
    expect((await createUser('from-own-page', { 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect(await userExists('from-client')).toBe(true);
    expect(await userExists('from-own-page')).toBe(true);
  });

  it('still answers reads from another site (a link someone follows)', async () => {
    const response = await fetch(`${server.url}/api/2.0/mlflow/users/get?username=admin`, { headers: { ...ADMIN, 'sec-fetch-site': 'cross-site' } });
    expect(response.status).toBe(200);
  });
});
