import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CairnClient, type Run } from '@cairn/sdk';
import { startServer, type StartedServer, testEndpoints, trackChildProcess, waitFor } from '@cairn/testing';
import type { RunComparison } from './compare';

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
const distMain = path.join(repoRoot, 'dist', 'apps', 'cli', 'src', 'main.js');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

jest.setTimeout(300_000);

/**
 * `cairn run` and `cairn reproduce` against a started server, with the official mlflow client (the
 * pinned 3.x venv, first on PATH) logging from inside the project's command.
 */
describe('cairn run and cairn reproduce', () => {
  let server: StartedServer;
  let client: CairnClient;
  let scratch: string;
  let env: Record<string, string>;
  let gitRepo: string;
  let tagCommit: string;

  function cairn(args: string[], onStdout?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [distMain, ...args, '--tracking-uri', server.url], { cwd: scratch, env, stdio: ['ignore', 'pipe', 'pipe'] });
      trackChildProcess(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        onStdout?.(stdout, child);
      });
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  async function cairnJson<T>(...args: string[]): Promise<T> {
    const r = await cairn([...args, '--json']);
    if (r.code !== 0) throw new Error(`cairn ${args.join(' ')} exited ${String(r.code)}:\n${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  const tagsOf = (run: Run) => Object.fromEntries((run.data.tags ?? []).map((t) => [t.key, t.value]));
  const paramsOf = (run: Run) => Object.fromEntries((run.data.params ?? []).map((p) => [p.key, p.value]));
  const metricsOf = (run: Run) => Object.fromEntries((run.data.metrics ?? []).map((m) => [m.key, Number(m.value)]));
  const gitIn = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

  beforeAll(async () => {
    // Webhooks to a receiver on loopback (the registry's drift warning is delivered to one).
    server = await startServer({ env: { CAIRN_WEBHOOK_ALLOW_HTTP: 'true', CAIRN_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
    client = new CairnClient(server.url);
    scratch = mkdtempSync(path.join(os.tmpdir(), 'cairn-project-e2e-'));
    const venvBin = path.dirname(testEndpoints.mlflowPython(3));
    env = {
      PATH: `${venvBin}${path.delimiter}${process.env['PATH'] ?? ''}`,
      HOME: scratch,
      CAIRN_CACHE_DIR: path.join(scratch, 'cache'),
      PYTHONUNBUFFERED: '1',
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
      GIT_AUTHOR_NAME: 'e2e',
      GIT_AUTHOR_EMAIL: 'e2e@example.com',
      GIT_COMMITTER_NAME: 'e2e',
      GIT_COMMITTER_EMAIL: 'e2e@example.com',
    };
    // A repository holding the example under projects/churn, tagged v1, with a later commit on top.
    gitRepo = path.join(scratch, 'repo');
    mkdirSync(path.join(gitRepo, 'projects'), { recursive: true });
    cpSync(path.join(repoRoot, 'examples', 'churn'), path.join(gitRepo, 'projects', 'churn'), { recursive: true });
    const gitEnv = { ...process.env, ...env };
    const g = (...args: string[]) => execFileSync('git', args, { cwd: gitRepo, env: gitEnv, encoding: 'utf8' }).trim();
    g('init', '--quiet', '--initial-branch', 'main');
    g('add', '.');
    g('commit', '--quiet', '-m', 'churn example');
    g('tag', 'v1');
    tagCommit = g('rev-parse', 'HEAD');
    writeFileSync(path.join(gitRepo, 'projects', 'churn', 'NOTES.md'), 'after v1\n');
    g('add', '.');
    g('commit', '--quiet', '-m', 'after v1');
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('cairn run examples/churn -P learning_rate=0.05: the official client logs into the run it created, which ends FINISHED', async () => {
    const result = await cairnJson<{ run_id: string; status: string }>(
      'run',
      path.join(repoRoot, 'examples', 'churn'),
      '-P',
      'learning_rate=0.05',
      '--experiment',
      'churn',
    );
    expect(result.status).toBe('FINISHED');
    const run = await client.getRun(result.run_id);
    expect(run.info.status).toBe('FINISHED');
    expect(paramsOf(run)).toMatchObject({ learning_rate: '0.05', n_estimators: '50', max_depth: '3', data: 'data/churn.csv' });
    expect(metricsOf(run)['val_auc']).toBeGreaterThan(0.6);
    const tags = tagsOf(run);
    expect(tags).toMatchObject({
      'mlflow.source.type': 'PROJECT',
      'mlflow.project.entryPoint': 'main',
      'mlflow.project.backend': 'local',
      'mlflow.source.git.commit': gitIn(repoRoot, 'rev-parse', 'HEAD'),
      'cairn.project.subdir': 'examples/churn',
    });
    expect(tags['cairn.env.lockfile.requirements.txt']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(tags['cairn.env.freeze_sha256']).toMatch(/^[0-9a-f]{64}$/);
    // The resolved versions of the interpreter that ran it are among the run's artifacts.
    const files = await client.listArtifactFiles(run.info.run_id, 'cairn');
    expect(files.map((f) => f.path)).toContain('cairn/environment.txt');
    const freeze = path.join(scratch, 'freeze.txt');
    await client.downloadArtifact(run.info.run_id, 'cairn/environment.txt', freeze);
    expect(execFileSync('cat', [freeze], { encoding: 'utf8' })).toMatch(/^scikit-learn==1\.9\.1$/m);
  });

  it('a parameter of the wrong type is refused, naming it, before any run exists', async () => {
    const experimentId = await client.createExperiment('churn-typed');
    const r = await cairn(['run', path.join(repoRoot, 'examples', 'churn'), '-P', 'learning_rate=fast', '--experiment-id', experimentId]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("parameter 'learning_rate' must be a float, got 'fast'");
    expect((await client.searchRuns({ experimentIds: [experimentId] })).items).toHaveLength(0);
  });

  let gitRunId = '';

  it('runs the project from a local git repository URI at a tag, recording that commit', async () => {
    const uri = `file://${gitRepo}#v1:projects/churn`;
    const result = await cairnJson<{ run_id: string; status: string }>(
      'run',
      uri,
      '-P',
      'learning_rate=0.05',
      '-P',
      'n_estimators=30',
      '--experiment',
      'churn',
    );
    expect(result.status).toBe('FINISHED');
    gitRunId = result.run_id;
    const run = await client.getRun(gitRunId);
    expect(tagsOf(run)).toMatchObject({
      'mlflow.source.git.commit': tagCommit,
      'mlflow.source.git.repoURL': `file://${gitRepo}`,
      'mlflow.source.name': `file://${gitRepo}#projects/churn`,
      'cairn.git.dirty': 'false',
      'cairn.project.ref': 'v1',
      'cairn.project.subdir': 'projects/churn',
    });
    expect(paramsOf(run)).toMatchObject({ learning_rate: '0.05', n_estimators: '30' });
    expect(metricsOf(run)['val_auc']).toBeGreaterThan(0.6);
  });

  it.each([3, 2] as const)('mlflow run (MLflow %i.x) of the same project against Cairn records the same tags and params as cairn run', async (major) => {
    const python = testEndpoints.mlflowPython(major);
    const r = await new Promise<CliResult>((resolve) => {
      const child = spawn(
        python,
        [
          '-m',
          'mlflow',
          'run',
          `file://${gitRepo}#projects/churn`,
          '--version',
          'v1',
          '--env-manager',
          'local',
          '-P',
          'learning_rate=0.05',
          '-P',
          'n_estimators=30',
          '--experiment-name',
          'churn',
        ],
        // The project's command runs with the python on PATH: the same client that launched it.
        {
          cwd: scratch,
          env: { ...env, PATH: `${path.dirname(python)}${path.delimiter}${env['PATH'] ?? ''}`, MLFLOW_TRACKING_URI: server.url },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      trackChildProcess(child);
      let [stdout, stderr] = ['', ''];
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.stderr).toContain('succeeded');
    const runId = /=== Run \(ID '([0-9a-f]{32})'\) succeeded ===/.exec(r.stderr)?.[1] as string;
    const [viaMlflow, viaCairn] = [await client.getRun(runId), await client.getRun(gitRunId)];
    // The run name is generated per run; MLflow mangles a file:// source name into
    // `<cwd>/file:/<path>#<subdir>` (os.path.abspath of the URI), which Cairn does not copy.
    const mlflowTags = Object.entries(tagsOf(viaMlflow)).filter(([k]) => k !== 'mlflow.runName' && k !== 'mlflow.source.name');
    expect(tagsOf(viaMlflow)['mlflow.source.name']).toContain(`file:${gitRepo}#projects/churn`);
    expect(tagsOf(viaCairn)).toMatchObject(Object.fromEntries(mlflowTags));
    expect(paramsOf(viaCairn)).toEqual(paramsOf(viaMlflow));
  });

  it('cairn reproduce <run_id>: same commit and params into a new run, metrics and environment compared', async () => {
    const r = await cairnJson<{ original_run_id: string; run_id: string; comparison: RunComparison }>('reproduce', gitRunId);
    expect(r.original_run_id).toBe(gitRunId);
    expect(r.comparison.params_identical).toBe(true);
    expect(r.comparison.environment_diff).toEqual([]);
    const auc = r.comparison.metrics.find((m) => m.key === 'val_auc');
    expect(auc?.relative_difference).toBeLessThan(1e-9);
    const reproduced = await client.getRun(r.run_id);
    expect(tagsOf(reproduced)).toMatchObject({ 'cairn.reproduces': gitRunId, 'mlflow.source.git.commit': tagCommit });

    const diff = await cairnJson<RunComparison>('runs', 'diff', gitRunId, r.run_id);
    expect(diff).toMatchObject({ params_identical: true, environment_diff: [] });
  });

  it('cairn reproduce models:/churn-gbm@champion resolves the alias to its run; --dry-run only prints the plan', async () => {
    const version = await client.registerModel('churn-gbm', `runs:/${gitRunId}/model`, { runId: gitRunId });
    await client.setRegisteredModelAlias('churn-gbm', 'champion', version.version);
    const before = (await client.searchRuns({ experimentIds: [(await client.getRun(gitRunId)).info.experiment_id] })).items.length;

    const plan = await cairn(['reproduce', 'models:/churn-gbm@champion', '--dry-run']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(tagCommit);
    expect(plan.stdout).toContain('learning_rate=0.05');
    expect((await client.searchRuns({ experimentIds: [(await client.getRun(gitRunId)).info.experiment_id] })).items).toHaveLength(before);

    const r = await cairnJson<{ original_run_id: string; comparison: RunComparison }>('reproduce', 'models:/churn-gbm@champion');
    expect(r.original_run_id).toBe(gitRunId);
    expect(r.comparison).toMatchObject({ params_identical: true, environment_diff: [] });
    for (const m of r.comparison.metrics) expect(m.relative_difference).toBeLessThan(1e-9);
  });

  let helperRuns: string[] = [];

  it('with one library version changed in the environment, runs diff (and the server) name it beside the metrics', async () => {
    // A distribution's metadata on PYTHONPATH is what pip freeze reports: two runs, one version apart.
    const withHelper = async (version: string) => {
      const site = path.join(scratch, `site-${version}`);
      mkdirSync(path.join(site, `churn_helper-${version}.dist-info`), { recursive: true });
      writeFileSync(path.join(site, `churn_helper-${version}.dist-info`, 'METADATA'), `Metadata-Version: 2.1\nName: churn-helper\nVersion: ${version}\n`);
      const saved = env['PYTHONPATH'];
      env['PYTHONPATH'] = site;
      try {
        return (await cairnJson<{ run_id: string }>('run', `file://${gitRepo}#v1:projects/churn`, '-P', 'n_estimators=20', '--experiment', 'churn')).run_id;
      } finally {
        if (saved === undefined) delete env['PYTHONPATH'];
        else env['PYTHONPATH'] = saved;
      }
    };
    const [a, b] = [await withHelper('1.0'), await withHelper('2.0')];
    helperRuns = [a, b];
    const diff = await cairnJson<RunComparison>('runs', 'diff', a, b);
    expect(diff.environment_diff).toEqual([{ name: 'churn-helper', run_a: '1.0', run_b: '2.0' }]);
    expect(diff.metrics.find((m) => m.key === 'val_auc')).toMatchObject({ relative_difference: 0 });
    const human = await cairn(['runs', 'diff', a, b]);
    expect(human.stdout).toContain('churn-helper: A 1.0  B 2.0');
    // The metric comparison is printed beside it: here the library does not touch training.
    expect(human.stdout).toMatch(/val_auc: \S+ -> \S+ {2}\(0\.00+%\)/);
    expect(await client.environmentDiff(a, gitRunId)).toMatchObject({ identical: false, differences: [{ name: 'churn-helper', run_a: '1.0' }] });
  });

  it('a transition to Production of a version trained with another version of a watched package is made, with the drift in its history entry and webhook', async () => {
    const [before, after] = helperRuns as [string, string];
    const received: string[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const name = 'churn-guarded';
      await client.createRegisteredModel(name, { tags: { 'cairn.env.watched_packages': 'churn-helper, scikit-learn' } });
      await client.createWebhook({
        name: 'deploy',
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/deploy`,
        events: [{ entity: 'MODEL_VERSION', action: 'STAGE_TRANSITIONED' }],
      });
      await client.createModelVersion(name, `runs:/${before}/model`, { runId: before });
      await client.createModelVersion(name, `runs:/${after}/model`, { runId: after });
      await client.transitionModelVersionStage(name, 1, 'Production');
      const moved = await client.transitionModelVersionStage(name, 2, 'Production', { archiveExistingVersions: true });
      expect(moved.current_stage).toBe('Production');

      const drift = { production_version: '1', packages: [{ name: 'churn-helper', from: '1.0', to: '2.0' }] };
      const transitions = (await client.getModelHistory(name)).changes.filter((c) => c.type === 'registry.model_version.stage_transitioned.v1');
      expect(transitions.map((c) => [c.version, c.after?.['environment_drift']])).toEqual([
        ['1', undefined],
        ['2', drift],
      ]);
      const payloads = await waitFor(() => (received.length >= 2 ? received.map((b) => JSON.parse(b) as { data: Record<string, unknown> }) : undefined), {
        timeoutMs: 20_000,
        message: 'both stage-transition deliveries',
      });
      const second = payloads.find((p) => p.data['version'] === '2');
      expect(second?.data).toMatchObject({ to_stage: 'Production', environment_drift: drift });
      expect(payloads.find((p) => p.data['version'] === '1')?.data).not.toHaveProperty('environment_drift');
    } finally {
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });

  it('refuses to reproduce a run from a dirty working tree, saying why', async () => {
    const run = await client.createRun({
      experimentId: '0',
      tags: { 'mlflow.source.git.commit': tagCommit, 'cairn.git.dirty': 'true', 'cairn.project.repo': gitRepo },
    });
    const r = await cairn(['reproduce', run.info.run_id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('uncommitted changes');
  });

  it('--env virtualenv builds the environment once into the cache, records its freeze, and reproduce rebuilds it from that freeze', async () => {
    const repo = path.join(scratch, 'env-repo');
    mkdirSync(repo);
    writeFileSync(path.join(repo, 'python_env.yaml'), 'python: "3.11"\nbuild_dependencies: []\ndependencies: []\n');
    writeFileSync(
      path.join(repo, 'MLproject'),
      'name: envcheck\nentry_points:\n  main:\n    command: "python -c \'import sys; print(\\"prefix\\", sys.prefix)\'"\n',
    );
    const g = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: { ...process.env, ...env }, encoding: 'utf8' }).trim();
    g('init', '--quiet');
    g('add', '.');
    g('commit', '--quiet', '-m', 'envcheck');

    const first = await cairn(['run', `${repo}#HEAD`, '--env', 'virtualenv', '--json']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('building the virtualenv environment');
    expect(first.stderr).toMatch(new RegExp(`prefix ${path.join(scratch, 'cache', 'envs')}/virtualenv-[0-9a-f]{24}`));
    const runId = (JSON.parse(first.stdout) as { run_id: string }).run_id;
    const run = await client.getRun(runId);
    expect(tagsOf(run)).toMatchObject({ 'mlflow.project.env': 'virtualenv', 'cairn.project.env': 'virtualenv' });
    // The venv's own packages, not the mlflow venv's that built it.
    expect(Object.keys(JSON.parse(tagsOf(run)['cairn.env.packages.0'] ?? '{}') as object)).not.toContain('mlflow');

    const again = await cairn(['run', `${repo}#HEAD`, '--env', 'virtualenv']);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('building');

    const reproduced = await cairnJson<{ comparison: RunComparison }>('reproduce', runId);
    expect(reproduced.comparison).toMatchObject({ params_identical: true, environment_diff: [] });

    const uv = await cairn(['run', repo, '--env', 'uv']);
    expect(uv.code).toBe(1);
    expect(uv.stderr).toContain('--env uv needs the uv executable on PATH');
  });

  it('reproduce of a project with DVC-tracked data plans a dvc pull, and without dvc refuses, naming the data, unless --skip-data', async () => {
    const repo = path.join(scratch, 'dvc-repo');
    mkdirSync(repo);
    writeFileSync(path.join(repo, 'MLproject'), 'name: dvcdata\nentry_points:\n  main:\n    command: "python -c \'print(1)\'"\n');
    writeFileSync(path.join(repo, 'train.csv.dvc'), 'outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 10\n  path: train.csv\n');
    const g = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: { ...process.env, ...env }, encoding: 'utf8' }).trim();
    g('init', '--quiet');
    g('add', '.');
    g('commit', '--quiet', '-m', 'dvc-tracked data');
    const { run_id: runId } = await cairnJson<{ run_id: string }>('run', `${repo}#HEAD`);
    expect(tagsOf(await client.getRun(runId))['cairn.dvc.files']).toBe('train.csv.dvc');

    const refused = await cairn(['reproduce', runId]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('tracks its data with DVC (train.csv.dvc');
    expect(refused.stderr).toContain('dvc is not on PATH');
    const plan = await cairn(['reproduce', runId, '--dry-run']);
    expect(plan.stdout).toContain('dvc pull (train.csv.dvc)');
    expect((await cairn(['reproduce', runId, '--skip-data'])).code).toBe(0);
  });

  /** `cairn` with the pinned uv and dvc (tools/infra/python/projects.txt) on PATH, after the mlflow venv's python. */
  function cairnWithTools(args: string[]): Promise<CliResult> {
    const saved = env['PATH'];
    const [venvBin, ...rest] = (saved ?? '').split(path.delimiter);
    env['PATH'] = [venvBin, testEndpoints.projectTools(), ...rest].join(path.delimiter);
    return cairn(args).finally(() => (env['PATH'] = saved as string));
  }
  const python = () => testEndpoints.mlflowPython(3);

  it('--env uv builds the environment with uv (offline, from a local wheel) once into the cache, records what uv installed, and reproduce rebuilds it', async () => {
    const repo = path.join(scratch, 'uv-repo');
    mkdirSync(repo);
    // A one-module wheel, so the environment has a real dependency and no index is needed.
    const wheel = path.join(scratch, 'churn_helper-1.0-py3-none-any.whl');
    execFileSync(python(), [
      '-c',
      [
        'import sys, zipfile',
        'z = zipfile.ZipFile(sys.argv[1], "w")',
        'z.writestr("churn_helper/__init__.py", "VERSION = \'1.0\'\\n")',
        'z.writestr("churn_helper-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: churn-helper\\nVersion: 1.0\\n")',
        'z.writestr("churn_helper-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: e2e\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")',
        'z.writestr("churn_helper-1.0.dist-info/RECORD", "")',
        'z.close()',
      ].join('\n'),
      wheel,
    ]);
    writeFileSync(path.join(repo, 'python_env.yaml'), `python: "3.11"\nbuild_dependencies: []\ndependencies:\n  - "churn-helper @ file://${wheel}"\n`);
    writeFileSync(
      path.join(repo, 'MLproject'),
      'name: uvcheck\nentry_points:\n  main:\n    command: "python -c \'import churn_helper, sys; print(\\"helper\\", churn_helper.VERSION, sys.prefix)\'"\n',
    );
    const g = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: { ...process.env, ...env }, encoding: 'utf8' }).trim();
    g('init', '--quiet');
    g('add', '.');
    g('commit', '--quiet', '-m', 'uvcheck');
    env['UV_OFFLINE'] = '1';
    try {
      const first = await cairnWithTools(['run', `${repo}#HEAD`, '--env', 'uv', '--json']);
      expect({ code: first.code, stderr: first.code === 0 ? '' : first.stderr }).toEqual({ code: 0, stderr: '' });
      expect(first.stderr).toContain('building the uv environment');
      expect(first.stderr).toMatch(new RegExp(`helper 1\\.0 ${path.join(scratch, 'cache', 'envs')}/uv-[0-9a-f]{24}`));
      const runId = (JSON.parse(first.stdout) as { run_id: string }).run_id;
      const tags = tagsOf(await client.getRun(runId));
      expect(tags).toMatchObject({ 'mlflow.project.env': 'uv', 'cairn.project.env': 'uv' });
      // uv's venv has no pip: what is installed is listed by uv, and recorded.
      expect(Object.keys(JSON.parse(tags['cairn.env.packages.0'] ?? '{}') as object)).toEqual(['churn-helper', 'python']);

      const again = await cairnWithTools(['run', `${repo}#HEAD`, '--env', 'uv']);
      expect(again.code).toBe(0);
      expect(again.stderr).not.toContain('building');

      const reproduced = await cairnWithTools(['reproduce', runId, '--json']);
      expect(reproduced.code).toBe(0);
      expect((JSON.parse(reproduced.stdout) as { comparison: RunComparison }).comparison).toMatchObject({ params_identical: true, environment_diff: [] });
    } finally {
      delete env['UV_OFFLINE'];
    }
  });

  it("examples/churn with its data under DVC (a local remote): reproduce restores the data at the run's recorded hash with dvc pull, not the newest", async () => {
    const repo = path.join(scratch, 'dvc-churn');
    const project = path.join(repo, 'projects', 'churn');
    mkdirSync(path.join(repo, 'projects'), { recursive: true });
    cpSync(path.join(repoRoot, 'examples', 'churn'), project, { recursive: true });
    const toolsEnv = { ...process.env, ...env, PATH: `${testEndpoints.projectTools()}${path.delimiter}${env['PATH'] ?? ''}`, DVC_NO_ANALYTICS: '1' };
    const sh = (file: string, ...args: string[]) => execFileSync(file, args, { cwd: repo, env: toolsEnv, encoding: 'utf8' }).trim();
    const dvc = (...args: string[]) => sh(path.join(testEndpoints.projectTools(), 'dvc'), ...args);
    sh('git', 'init', '--quiet', '--initial-branch', 'main');
    dvc('init', '--quiet');
    dvc('remote', 'add', '--default', 'local', path.join(scratch, 'dvc-remote'));
    dvc('add', '--quiet', 'projects/churn/data/churn.csv');
    sh('git', 'add', '.');
    sh('git', 'commit', '--quiet', '-m', 'churn data v1 under DVC');
    const v1 = sh('git', 'rev-parse', 'HEAD');

    const { run_id: original } = await cairnJson<{ run_id: string }>('run', project, '-P', 'n_estimators=10', '--experiment', 'churn-dvc');
    const recorded = tagsOf(await client.getRun(original));
    expect(recorded).toMatchObject({ 'mlflow.source.git.commit': v1, 'cairn.git.dirty': 'false', 'cairn.dvc.files': 'data/churn.csv.dvc' });

    // Newer data, in the remote too: a pull of the latest would train on it.
    sh(python(), 'projects/churn/generate_data.py', '--rows', '300', '--seed', '1', '--out', 'projects/churn/data/churn.csv');
    dvc('add', '--quiet', 'projects/churn/data/churn.csv');
    sh('git', 'commit', '--quiet', '-am', 'churn data v2');
    dvc('push', '--quiet', '--all-commits');

    // Data is gitignored: the clean checkout at the run's commit has none until dvc pull.
    const r = await cairnWithTools(['reproduce', original, '--json']);
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stderr).toContain('dvc pull (data/churn.csv.dvc)');
    const { run_id: again, comparison } = JSON.parse(r.stdout) as { run_id: string; comparison: RunComparison };
    expect(tagsOf(await client.getRun(again))['cairn.dvc.data_hash']).toBe(recorded['cairn.dvc.data_hash']);
    expect(comparison.params_identical).toBe(true);
    for (const m of comparison.metrics) expect(m.relative_difference).toBeLessThan(1e-9);
  });

  it('Ctrl-C (SIGINT) stops the command and marks the run KILLED', async () => {
    const project = path.join(scratch, 'sleeper');
    mkdirSync(project);
    writeFileSync(
      path.join(project, 'MLproject'),
      'name: sleeper\nentry_points:\n  main:\n    command: "python -c \'import time; print(\\"started\\", flush=True); time.sleep(120)\'"\n',
    );
    let interrupted = false;
    const r = await cairn(['run', project], (text, child) => {
      if (!interrupted && text.includes('started')) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    expect(interrupted).toBe(true);
    expect(r.code).toBe(1);
    const runId = /run ([0-9a-f]{32})/.exec(r.stderr)?.[1] as string;
    expect((await client.getRun(runId)).info.status).toBe('KILLED');
  });
});
