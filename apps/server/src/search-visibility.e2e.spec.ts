import path from 'node:path';
import { runMlflowClient, startServer, type StartedServer } from '@cairn/testing';

// Issue 18: searches return only what the caller may read. A READ-only user, through the official
// mlflow client against a server with CAIRN_AUTH=basic, sees only the experiments, runs, models and
// versions it was granted, on pages whose tokens walk those alone.

const script = path.join(__dirname, '..', 'e2e', 'search_visibility.py');
const ADMIN_PASSWORD = 'visibility-admin-password';
const READER_PASSWORD = 'visibility-reader-password';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ADMIN = basic('admin', ADMIN_PASSWORD);

describe('searches through the mlflow client show a READ-only user only what it was granted', () => {
  let server: StartedServer;
  const experimentIds = new Map<string, string>();

  async function call(route: string, body: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(`${server.url}/api/2.0/mlflow/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: ADMIN },
      body: JSON.stringify(body),
    });
    if (response.status !== 200) throw new Error(`${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  }

  beforeAll(async () => {
    server = await startServer({ env: { CAIRN_AUTH: 'basic', CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    await call('users/create', { username: 'reader', password: READER_PASSWORD });
    // Created by the admin: the reader holds nothing but the grants below (default NO_PERMISSIONS).
    for (const name of ['vis-a', 'vis-b', 'vis-c']) {
      const experimentId = String((await call('experiments/create', { name }))['experiment_id']);
      experimentIds.set(name, experimentId);
      for (let i = 0; i < 3; i++) await call('runs/create', { experiment_id: experimentId, run_name: `${name}-run-${i}`, start_time: i });
    }
    for (const name of ['vis-a', 'vis-c']) {
      await call('experiments/permissions/create', { experiment_id: experimentIds.get(name), username: 'reader', permission: 'READ' });
    }
    for (const name of ['vis-m1', 'vis-m2', 'vis-m3']) {
      await call('registered-models/create', { name });
      await call('model-versions/create', { name, source: `mlflow-artifacts:/${experimentIds.get('vis-a') ?? ''}/model` });
    }
    for (const name of ['vis-m1', 'vis-m3']) await call('registered-models/permissions/create', { name, username: 'reader', permission: 'READ' });
  }, 180_000);

  afterAll(() => server?.stop(), 60_000);

  it.each([3, 2] as const)(
    'mlflow %i.x: search_experiments, search_runs, search_registered_models, search_model_versions',
    async (major) => {
      const readable = [experimentIds.get('vis-a'), experimentIds.get('vis-c')].join(',');
      const result = await runMlflowClient(major, script, [readable, experimentIds.get('vis-b') ?? ''], {
        MLFLOW_TRACKING_URI: server.url,
        MLFLOW_TRACKING_USERNAME: 'reader',
        MLFLOW_TRACKING_PASSWORD: READER_PASSWORD,
      });
      if (result.code !== 0) throw new Error(`search_visibility.py failed (mlflow ${major}.x):\n${result.stdout}\n${result.stderr}`);
      const seen = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
      const runsOf = (...names: string[]) => names.flatMap((name) => [0, 1, 2].map((i) => `${name}-run-${i}`)).sort();
      expect(seen).toEqual({
        // Newest first; the Default experiment and vis-b are not the reader's.
        experiments: ['vis-c', 'vis-a'],
        experiment_pages: [1, 1],
        runs: runsOf('vis-a', 'vis-c'),
        run_pages: [2, 2, 2],
        runs_everywhere: runsOf('vis-a', 'vis-c'),
        named_unreadable: 'PERMISSION_DENIED',
        models: ['vis-m1', 'vis-m3'],
        model_pages: [1, 1],
        versions: ['vis-m1/1', 'vis-m3/1'],
        version_pages: [1, 1],
      });
    },
    300_000,
  );
});
