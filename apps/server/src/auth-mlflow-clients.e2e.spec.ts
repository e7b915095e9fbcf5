import path from 'node:path';
import type { ModelHistory } from '@cairn/contracts';
import { patchedSeedScenario, runMlflowClient, startServer, type PythonResult, type StartedServer } from '@cairn/testing';

// Identity and access as users meet them: the official, unmodified mlflow 3.x and 2.x clients against
// a server with CAIRN_AUTH=basic — credentials from MLFLOW_TRACKING_USERNAME/PASSWORD and
// MLFLOW_TRACKING_TOKEN, users and permissions through `get_app_client("basic-auth")`, refusals in
// MLflow's shape, searches filtered, and the registry's audit trail naming who really did it.
const authScenario = path.join(__dirname, '..', 'e2e', 'auth_scenario.py');
const ADMIN = { username: 'admin', password: 'e2e-admin-password' };

type Observation = { ok: true; value: unknown } | { ok: false; error_code: string };
const refused = (error_code: string) => ({ ok: false, error_code });
const done = (value: unknown) => ({ ok: true, value });

const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

const outcome = (result: PythonResult) => ({
  code: result.code,
  tail: result.stdout.slice(-400),
  stderr: result.code === 0 ? '' : result.stderr.slice(-3000),
});

describe('identity and access with the real mlflow clients (CAIRN_AUTH=basic)', () => {
  let server: StartedServer;

  async function api<T>(method: string, route: string, options: { body?: unknown; authorization?: string } = {}): Promise<{ status: number; json: T }> {
    const response = await fetch(`${server.url}${route}`, {
      method,
      headers: { authorization: options.authorization ?? basic(ADMIN.username, ADMIN.password), 'content-type': 'application/json' },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : {}) as T };
  }

  async function createUser(username: string, password: string): Promise<void> {
    const r = await api('POST', '/api/2.0/mlflow/users/create', { body: { username, password } });
    expect(r.status).toBe(200);
  }

  async function history(name: string): Promise<ModelHistory['changes']> {
    const r = await api<ModelHistory>('GET', `/api/2.0/cairn/registered-models/history?name=${encodeURIComponent(name)}`);
    expect(r.status).toBe(200);
    return r.json.changes;
  }

  beforeAll(async () => {
    server = await startServer({ env: { CAIRN_AUTH: 'basic', CAIRN_ADMIN_PASSWORD: ADMIN.password } });
  }, 120_000);
  afterAll(() => server?.stop(), 60_000);

  describe.each([3, 2] as const)('mlflow %i.x', (major) => {
    // mlflow ≥ 3.9 refuses to save the scenario's model with skops (seed-scenario.e2e.spec.ts pins
    // that): 3.x logs it with cloudpickle, as there.
    const seedScenario = () => patchedSeedScenario({ cloudpickle: major === 3, authenticated: true });

    it("runs the seed scenario as a non-admin user (MLFLOW_TRACKING_USERNAME/PASSWORD), and the model's history names that user", async () => {
      const [user, password, suffix] = [`seed-user-${major}`, 'seed-user-password', `user${major}`];
      await createUser(user, password);
      const result = await runMlflowClient(
        major,
        seedScenario(),
        [],
        { MLFLOW_TRACKING_URI: server.url, MLFLOW_TRACKING_USERNAME: user, MLFLOW_TRACKING_PASSWORD: password, SCENARIO_SUFFIX: suffix },
        600_000,
      );
      expect(outcome(result)).toMatchObject({ code: 0 });
      expect(result.stdout).toContain('SEED SCENARIO OK');
      const actors = new Set((await history(`churn-gbm-${suffix}`)).map((c) => c.actor));
      expect([...actors]).toEqual([user]);
    }, 600_000);

    it("runs the seed scenario with a token (MLFLOW_TRACKING_TOKEN), and the model's history names the token", async () => {
      const [owner, suffix] = [`seed-bot-${major}`, `token${major}`];
      await createUser(owner, 'seed-bot-password');
      const created = await api<{ token: { token_id: string }; secret: string }>('POST', '/api/2.0/cairn/tokens/create', {
        body: { name: 'seed', username: owner, expires_in_days: 1 },
      });
      expect(created.status).toBe(200);
      const result = await runMlflowClient(
        major,
        seedScenario(),
        [],
        { MLFLOW_TRACKING_URI: server.url, MLFLOW_TRACKING_TOKEN: created.json.secret, SCENARIO_SUFFIX: suffix },
        600_000,
      );
      expect(outcome(result)).toMatchObject({ code: 0 });
      expect(result.stdout).toContain('SEED SCENARIO OK');
      const actors = new Set((await history(`churn-gbm-${suffix}`)).map((c) => c.actor));
      expect([...actors]).toEqual([`token:${created.json.token.token_id}`]);
    }, 600_000);

    describe('users, permissions, READ-only users and machine tokens (auth_scenario.py)', () => {
      const suffix = `auth${major}`;
      let results: Record<string, unknown>;
      const seen = (name: string) => results[name] as Observation;
      const names = () => results['names'] as Record<string, string>;

      let scenario: PythonResult;
      beforeAll(async () => {
        scenario = await runMlflowClient(
          major,
          authScenario,
          [],
          { MLFLOW_TRACKING_URI: server.url, CAIRN_ADMIN_USERNAME: ADMIN.username, CAIRN_ADMIN_PASSWORD: ADMIN.password, SCENARIO_SUFFIX: suffix },
          300_000,
        );
        const line = scenario.stdout.split('\n').find((l) => l.startsWith('AUTH RESULTS '));
        results = line === undefined ? {} : (JSON.parse(line.slice('AUTH RESULTS '.length)) as Record<string, unknown>);
      }, 300_000);

      it('runs every set-up step (users, experiments, runs, a logged model, tokens) through the client', () => {
        expect(outcome(scenario)).toMatchObject({ code: 0 });
      });

      it('the admin creates, reads, re-passwords, promotes and deletes a user with the basic-auth client; others may not', () => {
        expect(seen('create_user')).toEqual(done(`temp-${suffix}`));
        expect(seen('get_user')).toEqual(done([`temp-${suffix}`, false]));
        expect(seen('new_password_signs_in')).toEqual(done(`temp-${suffix}`));
        expect(seen('old_password_refused')).toEqual(refused('UNAUTHENTICATED'));
        expect(seen('made_admin')).toEqual(done(true));
        expect(seen('non_admin_creates_user')).toEqual(refused('PERMISSION_DENIED'));
        expect(seen('deleted_user')).toEqual(refused('RESOURCE_DOES_NOT_EXIST'));
      });

      it(`grants and removes experiment and registered-model permissions with the ${major}.x client's API; nobody raises their own`, () => {
        const { shared, model } = names();
        if (major === 3) {
          expect(seen('experiment_permission')).toEqual(done({ allowed: true, permission: 'READ' }));
          expect(seen('experiment_permission_removed')).toEqual(done({ allowed: false, permission: 'NO_PERMISSIONS' }));
          expect(seen('model_permission')).toEqual(done({ allowed: true, permission: 'READ' }));
          expect(seen('model_permission_removed')).toEqual(done({ allowed: false, permission: 'NO_PERMISSIONS' }));
        } else {
          expect(seen('experiment_permission')).toEqual(done('READ'));
          expect(seen('experiment_permission_removed')).toEqual(refused('RESOURCE_DOES_NOT_EXIST'));
          expect(seen('model_permission')).toEqual(done('READ'));
          expect(seen('model_permission_removed')).toEqual(refused('RESOURCE_DOES_NOT_EXIST'));
        }
        expect(results['rita_grants_listed']).toMatchObject({
          status: 200,
          user: {
            username: `rita-${suffix}`,
            is_admin: false,
            experiment_permissions: [{ experiment_id: shared, permission: 'READ' }],
            registered_model_permissions: [{ name: model, permission: 'READ' }],
          },
        });
        expect(seen('self_grant')).toEqual(refused('PERMISSION_DENIED'));
      });

      it('a READ-only user reads runs and aliases, and gets PERMISSION_DENIED on log_metric, transition_model_version_stage, set_registered_model_alias', () => {
        expect(seen('read.get_run')).toEqual(done({ auc: 0.9 }));
        expect(seen('read.get_model_version_by_alias')).toEqual(done('1'));
        expect(seen('read.log_metric')).toEqual(refused('PERMISSION_DENIED'));
        expect(seen('read.transition_model_version_stage')).toEqual(refused('PERMISSION_DENIED'));
        expect(seen('read.set_registered_model_alias')).toEqual(refused('PERMISSION_DENIED'));
      });

      it('searches only return what the user may read: its experiment, that experiment’s runs, its model', () => {
        expect(seen('read.search_experiments')).toEqual(done([`shared-${suffix}`]));
        const readableRuns = [names()['shared_run'], names()['model_run']].sort();
        expect(seen('read.search_runs')).toEqual(done(readableRuns));
        // Naming an experiment the user may not read either is refused or returns none of its runs.
        const mixed = seen('read.search_runs_with_unreadable');
        expect(mixed.ok ? mixed.value : mixed.error_code).toEqual(mixed.ok ? readableRuns : 'PERMISSION_DENIED');
        expect(seen('read.get_unreadable_run')).toEqual(refused('PERMISSION_DENIED'));
        expect(seen('read.search_registered_models')).toEqual(done([`churn-${suffix}`]));
        expect(seen('read.get_unreadable_model')).toEqual(refused('PERMISSION_DENIED'));
      });

      it('a CI token with EDIT on one model transitions and aliases it, and is refused on another model', () => {
        expect(seen('ci.transition')).toEqual(done('Staging'));
        expect(seen('ci.set_alias')).toEqual(done(null));
        expect(seen('ci.transition_other')).toEqual(refused('PERMISSION_DENIED'));
        expect(seen('ci.set_alias_other')).toEqual(refused('PERMISSION_DENIED'));
        expect(seen('ci.search_registered_models')).toEqual(done([`churn-${suffix}`]));
      });

      it('a serving token resolves @champion and loads the model by alias, and is refused on search_experiments and on writes', () => {
        expect(seen('serving.get_model_version_by_alias')).toEqual(done('1'));
        expect(seen('serving.download_artifacts')).toEqual(done(expect.arrayContaining(['MLmodel', 'python_model.pkl'])));
        expect(seen('serving.load_model')).toEqual(done([2, 4]));
        expect(seen('serving.search_experiments')).toEqual(refused('PERMISSION_DENIED'));
        expect(seen('serving.set_alias')).toEqual(refused('PERMISSION_DENIED'));
      });

      it('a revoked token is refused with 401 UNAUTHENTICATED on its very next request', () => {
        expect(seen('revoked.before')).toEqual(done(`shared-${suffix}`));
        expect(seen('revoked.after')).toEqual(refused('UNAUTHENTICATED'));
        expect(results['revoked.raw']).toMatchObject({ status: 401, www_authenticate: 'Basic realm="mlflow"', body: { error_code: 'UNAUTHENTICATED' } });
      });

      it('the registry history names the authenticated principal: the user, or the token; a forged Basic header is 401 and leaves no trace', async () => {
        const { model, alice, ci_token: ciToken } = names();
        const aliasSetBy = async () =>
          Object.fromEntries(
            (await history(model)).filter((c) => c.type === 'registry.alias.set.v1').map((c) => [String(c.after?.['alias']), c.actor] as const),
          );
        expect(await aliasSetBy()).toEqual({ champion: alice, candidate: `token:${ciToken}`, audit: alice });
        const transitions = (await history(model)).filter((c) => c.type === 'registry.model_version.stage_transitioned.v1');
        expect(transitions.map((c) => c.actor)).toEqual([`token:${ciToken}`]);

        // A fresh token of alice's: the change is recorded as the token, whatever else the request claims.
        const token = await api<{ token: { token_id: string }; secret: string }>('POST', '/api/2.0/cairn/tokens/create', {
          body: { name: 'audit', username: alice },
        });
        const viaToken = await api('POST', '/api/2.0/mlflow/registered-models/alias', {
          body: { name: model, alias: 'via-token', version: '1' },
          authorization: `Bearer ${token.json.secret}`,
        });
        expect(viaToken.status).toBe(200);
        // Alice's name with a wrong password: refused before anything happens.
        const forged = await api<{ error_code: string }>('POST', '/api/2.0/mlflow/registered-models/alias', {
          body: { name: model, alias: 'forged', version: '1' },
          authorization: basic(alice, 'not-her-password'),
        });
        expect(forged).toEqual({ status: 401, json: expect.objectContaining({ error_code: 'UNAUTHENTICATED' }) });
        expect(await aliasSetBy()).toEqual({ champion: alice, candidate: `token:${ciToken}`, audit: alice, 'via-token': `token:${token.json.token.token_id}` });
      });
    });
  });
});
