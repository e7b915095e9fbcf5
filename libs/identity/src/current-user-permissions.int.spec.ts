import { createTestDatabase, type TestDatabase } from '@cairn/testing';
import { startIdentityServer, type IdentityServer } from './testing/identity-server';

const basic = (username: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` });
const ADMIN = basic('admin', 'permissions-admin-password');

// MLflow 3.18's web UI asks `users/current/permissions` as soon as `users/current` answers, to know
// which edit controls to offer; MLflow's basic-auth app answers it with `{is_admin, permissions}`,
// one row per grant (mlflow/server/auth: list_current_user_permissions). Cairn answered 404.
describe('users/current/permissions, as MLflow 3 answers it', () => {
  let db: TestDatabase;
  let basicAuth: IdentityServer;
  let noAuth: IdentityServer;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    [basicAuth, noAuth] = await Promise.all([
      startIdentityServer({ CAIRN_DATABASE_URL: db.url, CAIRN_AUTH: 'basic', CAIRN_ADMIN_PASSWORD: 'permissions-admin-password' }),
      startIdentityServer({ CAIRN_DATABASE_URL: db.url }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([basicAuth?.stop(), noAuth?.stop()]);
    await db?.drop();
  });

  const call = async (server: IdentityServer, method: string, route: string, headers: Record<string, string>, body?: unknown) => {
    const response = await fetch(`${server.url}${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  it("lists a user's own grants, and tells an admin it is one", async () => {
    expect((await call(basicAuth, 'POST', '/api/2.0/mlflow/users/create', ADMIN, { username: 'ana', password: 'ana-password-1' })).status).toBe(200);
    const granted = await call(basicAuth, 'POST', '/api/2.0/mlflow/registered-models/permissions/create', ADMIN, {
      name: 'churn',
      username: 'ana',
      permission: 'EDIT',
    });
    expect(granted.status).toBe(200);
    const ana = await call(basicAuth, 'GET', '/ajax-api/3.0/mlflow/users/current/permissions', basic('ana', 'ana-password-1'));
    expect(ana).toEqual({
      status: 200,
      json: {
        is_admin: false,
        // Cairn's addition: where no grant names a resource (CAIRN_AUTH_DEFAULT_PERMISSION's default).
        default_permission: 'NO_PERMISSIONS',
        permissions: [
          {
            role_id: null,
            role_name: expect.stringMatching(/^__user_\d+__$/),
            workspace: 'default',
            resource_type: 'registered_model',
            resource_pattern: 'churn',
            permission: 'EDIT',
          },
        ],
      },
    });
    expect((await call(basicAuth, 'GET', '/ajax-api/3.0/mlflow/users/current/permissions', ADMIN)).json).toMatchObject({ is_admin: true, permissions: [] });
    expect((await call(basicAuth, 'GET', '/ajax-api/3.0/mlflow/users/current/permissions', {})).status).toBe(401);
  });

  it('with auth off, answers without grants instead of 404', async () => {
    const answer = await call(noAuth, 'GET', '/ajax-api/3.0/mlflow/users/current/permissions', {});
    // Everyone may do everything: the web UI offers every action.
    expect(answer).toMatchObject({ status: 200, json: { is_admin: true, permissions: [], default_permission: 'MANAGE' } });
  });
});
