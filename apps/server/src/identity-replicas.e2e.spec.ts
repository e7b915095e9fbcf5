import { Client } from 'pg';
import { createTestDatabase, startServer, waitFor, type StartedServer, type TestDatabase } from '@cairn/testing';

// Issue 18: identity as shared infrastructure sees it — two replicas on one database enforce the
// same users, grants and tokens (a revocation on one is refused by the other within seconds), the
// first admin has no default password, an open server refuses to start, and sign-in failures are
// limited and logged without secrets.

const ADMIN_PASSWORD = 'replicas-admin-password';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ADMIN = basic('admin', ADMIN_PASSWORD);

async function call(server: StartedServer, method: string, route: string, auth: string | undefined, body?: unknown) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth) headers['authorization'] = auth;
  const response = await fetch(`${server.url}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, headers: response.headers, json: (await response.json().catch(() => ({}))) as Record<string, unknown> };
}

describe('two replicas, one identity', () => {
  let db: TestDatabase;
  let a: StartedServer;
  let b: StartedServer;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    const env = { CAIRN_AUTH: 'basic', CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD, CAIRN_AUTH_MAX_FAILURES_PER_MINUTE: '5' };
    a = await startServer({ database: db, env });
    b = await startServer({ database: db, env });
  }, 120_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  it('a user created on one replica signs in on the other; its password change is honoured there at once', async () => {
    expect((await call(a, 'POST', '/api/2.0/mlflow/users/create', ADMIN, { username: 'ana', password: 'ana-first-password' })).status).toBe(200);
    expect((await call(b, 'GET', '/api/2.0/mlflow/users/current', basic('ana', 'ana-first-password'))).json).toMatchObject({ user: { username: 'ana' } });
    const changed = await call(b, 'PATCH', '/api/2.0/mlflow/users/update-password', basic('ana', 'ana-first-password'), {
      username: 'ana',
      password: 'ana-second-password',
      current_password: 'ana-first-password',
    });
    expect(changed.status).toBe(200);
    await waitFor(async () => (await call(a, 'GET', '/api/2.0/mlflow/users/current', basic('ana', 'ana-first-password'))).status === 401 || undefined, {
      timeoutMs: 3000,
    });
    expect((await call(a, 'GET', '/api/2.0/mlflow/users/current', basic('ana', 'ana-second-password'))).status).toBe(200);
  });

  it('the creator of an experiment may use it on the other replica with its next request', async () => {
    await call(a, 'POST', '/api/2.0/mlflow/users/create', ADMIN, { username: 'bo', password: 'bo-password-1' });
    const bo = basic('bo', 'bo-password-1');
    const created = await call(a, 'POST', '/api/2.0/mlflow/experiments/create', bo, { name: 'bo-experiment' });
    expect(created.status).toBe(200);
    const run = await call(b, 'POST', '/api/2.0/mlflow/runs/create', bo, { experiment_id: created.json['experiment_id'] });
    expect(run.status).toBe(200);
    // Somebody else (default NO_PERMISSIONS) sees neither.
    await call(a, 'POST', '/api/2.0/mlflow/users/create', ADMIN, { username: 'cy', password: 'cy-password-1' });
    const other = await call(b, 'GET', `/api/2.0/mlflow/experiments/get?experiment_id=${String(created.json['experiment_id'])}`, basic('cy', 'cy-password-1'));
    expect(other).toMatchObject({ status: 403, json: { error_code: 'PERMISSION_DENIED' } });
  });

  it('…even when the other replica has the creator’s grants cached and the change notice is still on its way', async () => {
    await call(a, 'POST', '/api/2.0/mlflow/users/create', ADMIN, { username: 'di', password: 'di-password-1' });
    const di = basic('di', 'di-password-1');
    const refused: string[] = [];
    for (let i = 0; i < 30; i++) {
      // A search on b loads (and caches) di's grants; the experiment's grant then lands through a.
      expect((await call(b, 'POST', '/api/2.0/mlflow/experiments/search', di, { max_results: 1 })).status).toBe(200);
      const created = await call(a, 'POST', '/api/2.0/mlflow/experiments/create', di, { name: `di-experiment-${i}` });
      const run = await call(b, 'POST', '/api/2.0/mlflow/runs/create', di, { experiment_id: created.json['experiment_id'] });
      if (run.status !== 200) refused.push(`${i}: ${run.status}`);
    }
    expect(refused).toEqual([]);
  });

  it('a token revoked on one replica is refused by the other within seconds', async () => {
    const minted = await call(a, 'POST', '/api/2.0/cairn/tokens/create', ADMIN, { name: 'ci' });
    const token = `Bearer ${String(minted.json['secret'])}`;
    expect((await call(b, 'GET', '/api/2.0/mlflow/users/current', token)).status).toBe(200);
    const tokenId = (minted.json['token'] as { token_id: string }).token_id;
    expect((await call(a, 'POST', '/api/2.0/cairn/tokens/revoke', ADMIN, { token_id: tokenId })).status).toBe(200);
    const revokedAt = Date.now();
    await waitFor(async () => (await call(b, 'GET', '/api/2.0/mlflow/users/current', token)).status === 401 || undefined, { timeoutMs: 3000 });
    expect(Date.now() - revokedAt).toBeLessThan(3000);
    const listed = await call(b, 'GET', '/api/2.0/cairn/tokens/list', ADMIN);
    expect((listed.json['tokens'] as Array<{ token_id: string; revoked_at: number | null }>).find((t) => t.token_id === tokenId)?.revoked_at).not.toBeNull();
  });

  it('refuses forged and wrong credentials with 401 and a challenge, records no event for them, and limits guessing', async () => {
    const forged = await call(a, 'POST', '/api/2.0/mlflow/experiments/create', basic('mallory', 'guess'), { name: 'forged' });
    expect(forged.status).toBe(401);
    expect(forged.json).toMatchObject({ error_code: 'UNAUTHENTICATED' });
    expect(forged.headers.get('www-authenticate')).toBe('Basic realm="mlflow"');
    const anonymous = await call(a, 'GET', '/api/2.0/mlflow/experiments/search?max_results=1', undefined);
    expect(anonymous.status).toBe(401);
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    try {
      expect((await sql.query("SELECT count(*)::int AS n FROM tracking.events WHERE actor = 'mallory'")).rows[0]).toEqual({ n: 0 });
    } finally {
      await sql.end();
    }
    // Five failures for one user from one address, then even the right password waits a minute.
    await call(a, 'POST', '/api/2.0/mlflow/users/create', ADMIN, { username: 'dee', password: 'dee-password-1' });
    for (let i = 0; i < 5; i++) expect((await call(a, 'GET', '/api/2.0/mlflow/users/current', basic('dee', `wrong-${i}`))).status).toBe(401);
    const limited = await call(a, 'GET', '/api/2.0/mlflow/users/current', basic('dee', 'dee-password-1'));
    expect(limited).toMatchObject({ status: 429, json: { error_code: 'REQUEST_LIMIT_EXCEEDED' } });
    // The other replica keeps its own count: the user is not locked out everywhere by one attacker.
    expect((await call(b, 'GET', '/api/2.0/mlflow/users/current', basic('dee', 'dee-password-1'))).status).toBe(200);
    expect(a.output()).toContain('sign-in failed');
    expect(a.output()).not.toContain('wrong-1');
  });
});

describe('ways around the rules, closed', () => {
  let db: TestDatabase;
  let server: StartedServer;
  const ana = basic('ana', 'ana-password-1');
  const eve = basic('eve', 'eve-password-1');

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    server = await startServer({ database: db, env: { CAIRN_AUTH: 'basic', CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    for (const username of ['ana', 'eve']) await call(server, 'POST', '/api/2.0/mlflow/users/create', ADMIN, { username, password: `${username}-password-1` });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it("registering someone else's run under a model of one's own is refused (it would open the run's files through the model)", async () => {
    const experiment = await call(server, 'POST', '/api/2.0/mlflow/experiments/create', ana, { name: 'ana-private' });
    const run = await call(server, 'POST', '/api/2.0/mlflow/runs/create', ana, { experiment_id: experiment.json['experiment_id'] });
    const runId = (run.json['run'] as { info: { run_id: string } }).info.run_id;
    expect((await call(server, 'POST', '/api/2.0/mlflow/registered-models/create', eve, { name: 'eve-model' })).status).toBe(200);
    // The registry learns of runs through events: wait until it knows ana's.
    await waitFor(
      async () =>
        (await call(server, 'POST', '/api/2.0/mlflow/model-versions/create', eve, { name: 'eve-model', source: `runs:/${runId}/model`, run_id: runId }))
          .status === 403 || undefined,
      {
        timeoutMs: 10_000,
      },
    );
    expect(
      (await call(server, 'POST', '/api/2.0/mlflow/model-versions/create', ana, { name: 'eve-model', source: `runs:/${runId}/model`, run_id: runId })).status,
    ).toBe(403);
    // Her own run, under her own model, is fine.
    const own = await call(server, 'POST', '/api/2.0/mlflow/experiments/create', eve, { name: 'eve-own' });
    const ownRun = await call(server, 'POST', '/api/2.0/mlflow/runs/create', eve, { experiment_id: own.json['experiment_id'] });
    const ownRunId = (ownRun.json['run'] as { info: { run_id: string } }).info.run_id;
    expect(
      (await call(server, 'POST', '/api/2.0/mlflow/model-versions/create', eve, { name: 'eve-model', source: `runs:/${ownRunId}/model`, run_id: ownRunId }))
        .status,
    ).toBe(200);
  });

  it('a scoped token creates nothing its scopes do not cover, and revokes only itself', async () => {
    const minted = await call(server, 'POST', '/api/2.0/cairn/tokens/create', ana, {
      name: 'narrow',
      scopes: [{ resource_type: 'registered_model', resource_id: 'x', permission: 'EDIT' }],
    });
    const narrow = `Bearer ${String(minted.json['secret'])}`;
    expect((await call(server, 'POST', '/api/2.0/mlflow/experiments/create', narrow, { name: 'by-a-narrow-token' })).status).toBe(403);
    expect((await call(server, 'POST', '/api/2.0/mlflow/registered-models/create', narrow, { name: 'by-a-narrow-token' })).status).toBe(403);
    const other = await call(server, 'POST', '/api/2.0/cairn/tokens/create', ana, { name: 'other' });
    const otherId = (other.json['token'] as { token_id: string }).token_id;
    expect((await call(server, 'POST', '/api/2.0/cairn/tokens/revoke', narrow, { token_id: otherId })).status).toBe(403);
    const narrowId = (minted.json['token'] as { token_id: string }).token_id;
    expect((await call(server, 'POST', '/api/2.0/cairn/tokens/revoke', narrow, { token_id: narrowId })).status).toBe(200);
  });

  it('a malformed session cookie is no cookie, not a server error', async () => {
    const response = await fetch(`${server.url}/api/2.0/mlflow/users/current`, { headers: { cookie: 'cairn_session=%E0%A4%A', authorization: ana } });
    expect(response.status).toBe(200);
  });
});

describe('secure by default', () => {
  it('a server on a non-loopback address without CAIRN_AUTH refuses to start, naming the variable', async () => {
    await expect(startServer({ env: { CAIRN_HOST: '0.0.0.0' }, timeoutMs: 30_000 })).rejects.toThrow(/CAIRN_AUTH: required when listening on 0\.0\.0\.0/);
  }, 60_000);

  it('without CAIRN_ADMIN_PASSWORD the first start prints a one-time admin token, and only the first', async () => {
    const db = await createTestDatabase({ migrated: false });
    let first: StartedServer | undefined;
    let second: StartedServer | undefined;
    try {
      first = await startServer({ database: db, env: { CAIRN_AUTH: 'basic' } });
      await waitFor(() => /cairn_[0-9a-f]{32}_\S{43}/.exec(first?.output() ?? '')?.[0], { timeoutMs: 10_000 });
      const token = /cairn_[0-9a-f]{32}_\S{43}/.exec(first.output())?.[0];
      const bearer = `Bearer ${String(token)}`;
      expect((await call(first, 'GET', '/api/2.0/mlflow/users/current', bearer)).json).toMatchObject({ user: { username: 'admin', is_admin: true } });
      // The admin has no password until it is set: no default one works.
      expect((await call(first, 'GET', '/api/2.0/mlflow/users/current', basic('admin', 'password'))).status).toBe(401);
      expect(
        (await call(first, 'PATCH', '/api/2.0/mlflow/users/update-password', bearer, { username: 'admin', password: 'a-new-admin-password' })).status,
      ).toBe(200);
      expect((await call(first, 'GET', '/api/2.0/mlflow/users/current', basic('admin', 'a-new-admin-password'))).status).toBe(200);
      second = await startServer({ database: db, env: { CAIRN_AUTH: 'basic' } });
      expect(second.output()).not.toMatch(/cairn_[0-9a-f]{32}_/);
    } finally {
      await first?.stop();
      await second?.stop();
      await db.drop();
    }
  }, 120_000);
});
