import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CairnClient, type Experiment, type GcResult, type ModelVersion, type RegisteredModel, type Run, type Webhook } from '@cairn/sdk';
import { startServer, waitFor, type StartedServer } from '@cairn/testing';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const distMain = path.join(repoRoot, 'dist', 'apps', 'cli', 'src', 'main.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function spawnCli(entry: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [entry, ...args],
      { cwd: repoRoot, env: { PATH: process.env['PATH'] ?? '', HOME: os.tmpdir(), ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

jest.setTimeout(60_000);

describe('the cairn CLI against a started server', () => {
  let server: StartedServer;
  let client: CairnClient;
  let scratch: string;
  let receiver: Server;
  let receiverUrl = '';
  const received: { body: string; headers: Record<string, unknown> }[] = [];

  /** `cairn <args> --json --tracking-uri <server>`; fails the test unless it exits 0, returns the parsed JSON. */
  async function cairn<T>(...args: string[]): Promise<T> {
    const r = await spawnCli(distMain, [...args, '--json', '--tracking-uri', server.url]);
    if (r.code !== 0) throw new Error(`cairn ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  beforeAll(async () => {
    // A webhook receiver on loopback, which the server may call only when told so (SSRF policy).
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ body, headers: req.headers });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    server = await startServer({
      env: {
        CAIRN_WEBHOOK_ALLOW_HTTP: 'true',
        CAIRN_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        CAIRN_WEBHOOK_RETRY_BASE_MS: '200',
        CAIRN_WEBHOOK_RETRY_MAX_DELAY_MS: '1000',
      },
    });
    client = new CairnClient(server.url);
    scratch = mkdtempSync(path.join(os.tmpdir(), 'cairn-cli-e2e-'));
  }, 120_000);

  // Every step runs even when beforeAll failed part-way (no scratch dir yet, no server): a receiver
  // left listening kept Jest from exiting.
  afterAll(async () => {
    receiver?.closeAllConnections();
    await Promise.allSettled([server?.stop(), new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)))]);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('npx cairn (tools/bin/cairn.js) runs, and reads the tracking URI from the environment', async () => {
    const r = await spawnCli(path.join(repoRoot, 'tools', 'bin', 'cairn.js'), ['experiments', 'list', '--json'], { CAIRN_TRACKING_URI: server.url });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { experiments: Experiment[] }).experiments.map((e) => e.name)).toContain('Default');
  });

  it('experiments create, list, delete, restore: by the name create took, or by --experiment-id', async () => {
    const { experiment_id: id } = await cairn<{ experiment_id: string }>('experiments', 'create', 'cli-experiment');
    expect(id).toMatch(/^\d+$/);
    const names = async (view: string) => (await cairn<{ experiments: Experiment[] }>('experiments', 'list', '--view', view)).experiments.map((e) => e.name);
    expect(await names('active')).toContain('cli-experiment');
    await cairn('experiments', 'delete', 'cli-experiment');
    expect(await names('active')).not.toContain('cli-experiment');
    expect(await names('deleted')).toContain('cli-experiment');
    await cairn('experiments', 'restore', 'cli-experiment');
    expect(await names('active')).toContain('cli-experiment');

    await cairn('experiments', 'delete', '--experiment-id', id);
    expect(await names('deleted')).toContain('cli-experiment');
    await cairn('experiments', 'restore', '--experiment-id', id);
    expect(await names('active')).toContain('cli-experiment');

    // A name is never read as an id: the experiment named "<id>" does not exist, whatever has that id.
    const byIdAsName = await spawnCli(distMain, ['experiments', 'delete', id, '--tracking-uri', server.url]);
    expect(byIdAsName.code).toBe(1);
    expect(byIdAsName.stderr).toContain(`no experiment named '${id}'`);
    expect(byIdAsName.stderr).toContain('--experiment-id');
    expect(await names('active')).toContain('cli-experiment');
    const both = await spawnCli(distMain, ['experiments', 'delete', 'cli-experiment', '--experiment-id', id, '--tracking-uri', server.url]);
    expect(both.code).toBe(2);
    expect(await names('active')).toContain('cli-experiment');
  });

  it('runs search with filter, order and limit; runs get, delete, restore; metrics history', async () => {
    const experimentId = await client.createExperiment('cli-runs');
    const runIds: string[] = [];
    for (const auc of [0.8, 0.9, 0.86]) {
      const run = await client.createRun({ experimentId, runName: `auc-${auc}` });
      await client.logBatch(run.info.run_id, {
        metrics: [0, 1, 2].map((step) => ({ key: 'val_auc', value: auc - 0.01 * (2 - step), timestamp: 1000 + step, step })),
      });
      runIds.push(run.info.run_id);
    }
    const search = await cairn<{ runs: Run[] }>(
      'runs',
      'search',
      '--experiment-name',
      'cli-runs',
      '--filter',
      'metrics.val_auc > 0.85',
      '--order-by',
      'metrics.val_auc DESC',
    );
    expect(search.runs.map((r) => r.info.run_name)).toEqual(['auc-0.9', 'auc-0.86']);
    const limited = await cairn<{ runs: Run[]; next_page_token?: string }>('runs', 'search', '--experiment-id', experimentId, '--max-results', '1');
    expect(limited.runs).toHaveLength(1);
    expect(limited.next_page_token).toBeTruthy();

    const id = runIds[1] as string;
    expect((await cairn<{ run: Run }>('runs', 'get', id)).run.info).toMatchObject({ run_id: id, lifecycle_stage: 'active' });
    expect((await cairn<{ metrics: unknown[] }>('metrics', 'history', id, 'val_auc')).metrics).toHaveLength(3);
    await cairn('runs', 'delete', id);
    expect((await cairn<{ run: Run }>('runs', 'get', id)).run.info.lifecycle_stage).toBe('deleted');
    await cairn('runs', 'restore', id);
    expect((await cairn<{ run: Run }>('runs', 'get', id)).run.info.lifecycle_stage).toBe('active');
  });

  it('artifacts put (file and directory), ls, get round-trip the bytes', async () => {
    const run = await client.createRun({ experimentId: '0' });
    const runId = run.info.run_id;
    const model = path.join(scratch, 'model');
    mkdirSync(path.join(model, 'sub'), { recursive: true });
    writeFileSync(path.join(model, 'MLmodel'), 'flavors: {}\n');
    writeFileSync(path.join(model, 'sub', 'weights.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
    writeFileSync(path.join(scratch, 'report.txt'), 'auc 0.87');

    expect((await cairn<{ uploaded: string[] }>('artifacts', 'put', runId, path.join(scratch, 'report.txt'))).uploaded).toEqual(['report.txt']);
    expect((await cairn<{ uploaded: string[] }>('artifacts', 'put', runId, model, '--artifact-path', 'model')).uploaded).toEqual([
      'model/MLmodel',
      'model/sub/weights.bin',
    ]);

    const top = await cairn<{ files: { path: string; is_dir: boolean }[] }>('artifacts', 'ls', runId);
    expect(top.files.map((f) => [f.path, f.is_dir])).toEqual([
      ['model', true],
      ['report.txt', false],
    ]);
    const all = await cairn<{ files: { path: string; file_size: number }[] }>('artifacts', 'ls', runId, 'model', '--recursive');
    expect(all.files.map((f) => [f.path, f.file_size])).toEqual([
      ['model/MLmodel', 12],
      ['model/sub/weights.bin', 3 * 1024 * 1024],
    ]);

    const dest = path.join(scratch, 'download');
    await cairn('artifacts', 'get', runId, 'model', '--dest', dest);
    expect(readFileSync(path.join(dest, 'model', 'sub', 'weights.bin')).equals(Buffer.alloc(3 * 1024 * 1024, 7))).toBe(true);
    await cairn('artifacts', 'get', runId, 'report.txt', '--dest', dest);
    expect(readFileSync(path.join(dest, 'report.txt'), 'utf8')).toBe('auc 0.87');
  });

  it('models list, versions, transition, alias set/get/delete, history, lineage, promote', async () => {
    const experimentId = await client.createExperiment('cli-models');
    const versions: string[] = [];
    for (const auc of [0.86, 0.91]) {
      const run = await client.createRun({ experimentId, tags: { 'mlflow.source.git.commit': 'a'.repeat(40) } });
      await client.logBatch(run.info.run_id, { metrics: [{ key: 'val_auc', value: auc, timestamp: 1, step: 0 }] });
      await client.setTerminated(run.info.run_id);
      if (versions.length === 0) await client.createRegisteredModel('churn-gbm');
      versions.push((await client.createModelVersion('churn-gbm', `${run.info.artifact_uri}/model`, { runId: run.info.run_id })).version);
    }

    expect((await cairn<{ registered_models: RegisteredModel[] }>('models', 'list')).registered_models.map((m) => m.name)).toContain('churn-gbm');
    expect((await cairn<{ model_versions: ModelVersion[] }>('models', 'versions', 'churn-gbm')).model_versions.map((v) => v.version).sort()).toEqual([
      '1',
      '2',
    ]);
    expect((await cairn<{ model_version: ModelVersion }>('models', 'transition', 'churn-gbm', '1', 'production')).model_version.current_stage).toBe(
      'Production',
    );

    await cairn('models', 'alias', 'set', 'churn-gbm', 'champion', '1');
    expect((await cairn<{ model_version: ModelVersion }>('models', 'alias', 'get', 'churn-gbm', 'champion')).model_version.version).toBe('1');
    await cairn('models', 'alias', 'delete', 'churn-gbm', 'champion');
    const missingAlias = await spawnCli(distMain, ['models', 'alias', 'get', 'churn-gbm', 'champion', '--json', '--tracking-uri', server.url]);
    expect(missingAlias.code).toBe(1);

    const history = await cairn<{ changes: { type: string }[] }>('models', 'history', 'churn-gbm');
    expect(history.changes.map((c) => c.type)).toEqual(expect.arrayContaining([expect.stringContaining('stage_transitioned')]));

    // The registry learns runs from tracking's events: wait until the lineage knows the run.
    const lineage = await waitFor(
      async () => {
        const l = await cairn<{ run_known: boolean; code?: { commit?: string } }>('models', 'lineage', 'churn-gbm', '2');
        return l.run_known ? l : undefined;
      },
      { timeoutMs: 20_000, message: 'lineage to know the run' },
    );
    expect(lineage.code?.commit).toBe('a'.repeat(40));

    const decision = await waitFor(
      async () => {
        const d = await cairn<{ promoted: boolean; challenger_version: string; reason: string }>(
          'models',
          'promote',
          'churn-gbm',
          '2',
          '--metric',
          'val_auc',
          '--min-delta',
          '0.005',
        );
        return d.promoted ? d : undefined;
      },
      { timeoutMs: 20_000, message: 'the promotion' },
    );
    expect(decision.challenger_version).toBe('2');
    expect((await client.getModelVersion('churn-gbm', '2')).current_stage).toBe('Production');
  });

  it('exit codes: 1 for an API error (404, with the error as JSON on stderr), 2 for bad usage', async () => {
    const notFound = await spawnCli(distMain, ['runs', 'get', '0'.repeat(32), '--json', '--tracking-uri', server.url]);
    expect(notFound.code).toBe(1);
    expect(JSON.parse(notFound.stderr)).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST', http_status: 404 });
    expect(notFound.stdout).toBe('');

    const human = await spawnCli(distMain, ['experiments', 'delete', '--experiment-id', '987654', '--tracking-uri', server.url]);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('RESOURCE_DOES_NOT_EXIST');

    for (const args of [['runs', 'get'], ['runs', 'search', '--max-results', 'many'], ['nonsense'], ['gc', '--older-than-days']]) {
      const r = await spawnCli(distMain, [...args, '--tracking-uri', server.url]);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
    }
  });

  it('tables for people by default', async () => {
    const r = await spawnCli(distMain, ['experiments', 'list', '--tracking-uri', server.url]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+STAGE\s+ARTIFACT LOCATION$/);
    expect(r.stdout).toMatch(/^0\s+Default\s+active/m);
  });

  // Built in parallel (issue 7, server side): POST /api/2.0/cairn/gc.
  it('gc --dry-run reports, gc purges, and a run used by a model version is skipped', async () => {
    const experimentId = await client.createExperiment('cli-gc');
    const plain = await client.createRun({ experimentId });
    const used = await client.createRun({ experimentId });
    await client.createRegisteredModel('gc-model');
    await client.createModelVersion('gc-model', `${used.info.artifact_uri}/model`, { runId: used.info.run_id });
    await client.deleteRun(plain.info.run_id);
    await client.deleteRun(used.info.run_id);

    // Dry runs change nothing, so poll with them until the registry's reference to `used` is known.
    const dry = await waitFor(
      async () => {
        const r = await cairn<GcResult>('gc', '--dry-run', '--older-than-days', '0');
        return r.skipped.some((x) => x.run_id === used.info.run_id) ? r : undefined;
      },
      { timeoutMs: 20_000, message: 'gc to know the model version reference' },
    );
    expect(dry.dry_run).toBe(true);
    expect(dry.purged_runs).toContain(plain.info.run_id);
    expect(dry.skipped.find((x) => x.run_id === used.info.run_id)?.model_versions).toEqual([expect.objectContaining({ name: 'gc-model' })]);
    expect((await client.getRun(plain.info.run_id)).info.lifecycle_stage).toBe('deleted');

    const done = await cairn<GcResult>('gc', '--older-than-days', '0');
    expect(done.dry_run).toBe(false);
    expect(done.purged_runs).toContain(plain.info.run_id);
    await expect(client.getRun(plain.info.run_id)).rejects.toMatchObject({ httpStatus: 404 });
    expect((await client.getRun(used.info.run_id)).info.lifecycle_stage).toBe('deleted');
  });

  // Built in parallel: MLflow webhooks + GET/POST /api/2.0/cairn/webhooks/deliveries[/redeliver].
  it('webhooks create, list, test, deliveries, redeliver, delete', async () => {
    const secretFile = path.join(scratch, 'webhook-secret');
    writeFileSync(secretFile, 'whsec-test-secret\n');
    const { webhook } = await cairn<{ webhook: Webhook }>(
      'webhooks',
      'create',
      '--name',
      'ci',
      '--url',
      receiverUrl,
      '--secret-file',
      secretFile,
      '--event',
      'MODEL_VERSION:CREATED',
      '--event',
      'model_version_alias:created',
    );
    expect(webhook.events).toEqual([
      { entity: 'MODEL_VERSION', action: 'CREATED' },
      { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
    ]);
    expect((await cairn<{ webhooks: Webhook[] }>('webhooks', 'list')).webhooks.map((w) => w.webhook_id)).toContain(webhook.webhook_id);
    const test = await cairn<{ result: { success: boolean; response_status?: number } }>('webhooks', 'test', webhook.webhook_id);
    expect(test.result).toMatchObject({ success: true, response_status: 204 });

    await client.createRegisteredModel('hooked');
    await client.createModelVersion('hooked', 'mlflow-artifacts:/0/x/artifacts/model');
    const delivered = await waitFor(
      async () => {
        const d = await cairn<{ deliveries: { delivery_id: string; status?: string }[] }>('webhooks', 'deliveries', '--webhook-id', webhook.webhook_id);
        return d.deliveries.find((x) => x.status === 'SUCCEEDED');
      },
      { timeoutMs: 30_000, message: 'a successful delivery' },
    );
    // The table a person reads shows the event and the receiver's HTTP status of that delivery.
    const table = await spawnCli(distMain, ['webhooks', 'deliveries', '--webhook-id', webhook.webhook_id, '--tracking-uri', server.url]);
    const row = table.stdout.split('\n').find((line) => line.startsWith(delivered.delivery_id));
    expect(row?.split(/\s+/)).toEqual([delivered.delivery_id, webhook.webhook_id, 'model_version.created', 'SUCCEEDED', '1', '204']);
    const before = received.length;
    const redelivered = await cairn<{ delivery: { delivery_id: string } }>('webhooks', 'redeliver', delivered.delivery_id);
    expect(redelivered.delivery.delivery_id).toBeTruthy();
    await waitFor(() => (received.length > before ? true : undefined), { timeoutMs: 20_000, message: 'the redelivery to arrive' });
    // Created with --secret-file: deliveries are signed.
    expect(Object.keys(received[received.length - 1]?.headers ?? {}).some((h) => h.endsWith('signature'))).toBe(true);

    // The README's example ends with deleting the webhook it created, by the id create printed.
    await cairn('webhooks', 'delete', webhook.webhook_id);
    expect((await cairn<{ webhooks: Webhook[] }>('webhooks', 'list')).webhooks.map((w) => w.webhook_id)).not.toContain(webhook.webhook_id);
    const again = await spawnCli(distMain, ['webhooks', 'delete', webhook.webhook_id, '--json', '--tracking-uri', server.url]);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stderr)).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});

describe('cairn tokens against a server with CAIRN_AUTH=basic', () => {
  const ADMIN = { MLFLOW_TRACKING_USERNAME: 'admin', MLFLOW_TRACKING_PASSWORD: 'cli-admin-password' };
  const OWNER = { MLFLOW_TRACKING_USERNAME: 'ci-owner', MLFLOW_TRACKING_PASSWORD: 'ci-owner-password' };
  let server: StartedServer;

  const cli = (env: Record<string, string>, ...args: string[]) => spawnCli(distMain, [...args, '--tracking-uri', server.url], env);
  async function cliJson<T>(env: Record<string, string>, ...args: string[]): Promise<T> {
    const r = await cli(env, ...args, '--json');
    if (r.code !== 0) throw new Error(`cairn ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  beforeAll(async () => {
    server = await startServer({ env: { CAIRN_AUTH: 'basic', CAIRN_ADMIN_PASSWORD: ADMIN.MLFLOW_TRACKING_PASSWORD } });
    const basic = Buffer.from(`${ADMIN.MLFLOW_TRACKING_USERNAME}:${ADMIN.MLFLOW_TRACKING_PASSWORD}`).toString('base64');
    const created = await fetch(`${server.url}/api/2.0/mlflow/users/create`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: OWNER.MLFLOW_TRACKING_USERNAME, password: OWNER.MLFLOW_TRACKING_PASSWORD }),
    });
    expect(created.status).toBe(200);
  }, 120_000);
  afterAll(() => server?.stop(), 60_000);

  it('without credentials, a command is refused with 401 and exits 1', async () => {
    const r = await cli({}, 'tokens', 'list');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('UNAUTHENTICATED (HTTP 401)');
  });

  it('create prints the secret once; the token works as MLFLOW_TRACKING_TOKEN within its scopes; list shows it; revoke refuses it at once', async () => {
    const { experiment_id: visible } = await cliJson<{ experiment_id: string }>(OWNER, 'experiments', 'create', 'ci-visible');
    await cliJson(OWNER, 'experiments', 'create', 'ci-hidden');

    const created = await cli(
      ADMIN,
      'tokens',
      'create',
      '--name',
      'ci-churn',
      '--user',
      'ci-owner',
      '--experiment',
      `${visible}:read`,
      '--model',
      'team:churn:EDIT',
      '--expires-in-days',
      '7',
    );
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toContain('will not be shown again');
    const secret = /^secret\s+(cairn_[0-9a-f]{32}_\S{43})$/m.exec(created.stdout)?.[1];
    const tokenId = /^token_id\s+(\S+)$/m.exec(created.stdout)?.[1];
    expect(secret).toBeDefined();
    expect(tokenId).toMatch(/^[0-9a-f-]{36}$/);
    // The name keeps its colon: a scope splits at the last one.
    expect(created.stdout).toMatch(new RegExp(`^scopes\\s+model:team:churn:EDIT experiment:${visible}:READ$`, 'm'));
    const TOKEN = { MLFLOW_TRACKING_TOKEN: secret as string };

    // The token sees what its scopes name, nothing more of what its owner may read.
    const seen = await cliJson<{ experiments: Experiment[] }>(TOKEN, 'experiments', 'list');
    expect(seen.experiments.map((e) => e.name)).toEqual(['ci-visible']);
    const owners = await cliJson<{ experiments: Experiment[] }>(OWNER, 'experiments', 'list');
    expect(owners.experiments.map((e) => e.name).sort()).toEqual(['ci-hidden', 'ci-visible']);
    // A READ scope does not write.
    const write = await cli(TOKEN, 'experiments', 'delete', '--experiment-id', visible);
    expect(write.code).toBe(1);
    expect(write.stderr).toContain('PERMISSION_DENIED (HTTP 403)');

    // The admin's table: id, name, owner, scopes, expiry, last use (recorded off the request path), revoked.
    const listed = await waitFor(async () => {
      const r = await cli(ADMIN, 'tokens', 'list', '--user', 'ci-owner');
      return r.code === 0 && !/never\s+no$/m.test(r.stdout) ? r.stdout : undefined;
    });
    expect(listed.split('\n')[0]).toMatch(/^ID\s+NAME\s+USER\s+SCOPES\s+EXPIRES\s+LAST USED\s+REVOKED$/);
    const row = listed.split('\n').find((line) => line.startsWith(tokenId as string));
    expect(row).toMatch(
      new RegExp(`ci-churn\\s+ci-owner\\s+model:team:churn:EDIT experiment:${visible}:READ\\s+\\d{4}-\\d\\d-\\d\\d .*Z\\s+\\d{4}-.*Z\\s+no$`),
    );
    expect(listed).not.toContain(secret);
    // The owner lists its own tokens too.
    expect((await cliJson<{ tokens: { token_id: string }[] }>(OWNER, 'tokens', 'list')).tokens.map((t) => t.token_id)).toEqual([tokenId]);

    const revoked = await cli(ADMIN, 'tokens', 'revoke', tokenId as string);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked token ${tokenId}\n` });
    const refused = await cli(TOKEN, 'experiments', 'list');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('UNAUTHENTICATED (HTTP 401)');
    const after = await cliJson<{ tokens: { token_id: string; revoked_at: number | null }[] }>(ADMIN, 'tokens', 'list', '--user', 'ci-owner');
    expect(after.tokens.find((t) => t.token_id === tokenId)?.revoked_at).toEqual(expect.any(Number));
  });

  it('a serving token is refused outside serving routes; a user cannot mint for someone else; a token cannot mint', async () => {
    const serving = await cliJson<{ token: { serving_only: boolean; scopes: unknown[] }; secret: string }>(
      OWNER,
      'tokens',
      'create',
      '--name',
      'pod',
      '--serving',
      '--model',
      'churn:READ',
    );
    expect(serving.token).toMatchObject({ serving_only: true, scopes: [{ resource_type: 'registered_model', resource_id: 'churn', permission: 'READ' }] });
    const listExperiments = await cli({ MLFLOW_TRACKING_TOKEN: serving.secret }, 'experiments', 'list');
    expect(listExperiments.code).toBe(1);
    expect(listExperiments.stderr).toContain('PERMISSION_DENIED (HTTP 403)');
    const minted = await cli({ MLFLOW_TRACKING_TOKEN: serving.secret }, 'tokens', 'create', '--name', 'escalate');
    expect(minted.code).toBe(1);
    expect(minted.stderr).toContain('PERMISSION_DENIED');

    const forAdmin = await cli(OWNER, 'tokens', 'create', '--name', 'steal', '--user', 'admin');
    expect(forAdmin.code).toBe(1);
    expect(forAdmin.stderr).toContain('PERMISSION_DENIED (HTTP 403)');
    const adminToken = await cli(OWNER, 'tokens', 'create', '--name', 'root', '--admin');
    expect(adminToken.code).toBe(1);
    expect(adminToken.stderr).toContain('PERMISSION_DENIED (HTTP 403)');
  });

  it('usage errors exit 2 before any request: no --name, a scope without a permission, an unknown permission', async () => {
    for (const args of [
      ['--model', 'churn:READ'],
      ['--name', 'x', '--model', 'churn'],
      ['--name', 'x', '--experiment', '1:OWNER'],
    ]) {
      const r = await cli(ADMIN, 'tokens', 'create', ...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
    }
    const r = await cli(ADMIN, 'tokens', 'create', '--name', 'x', '--model', 'churn');
    expect(r.stderr).toContain('--model must look like NAME:READ|EDIT|MANAGE');
  });
});
