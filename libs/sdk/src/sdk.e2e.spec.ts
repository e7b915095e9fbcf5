import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type StartedServer } from '@cairn/testing';
import { CairnApiError, CairnClient, getClient, logMetric, logParams, setExperiment, setTag, setTrackingUri, startRun } from './index';
import type { Run } from './wire';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const tagsOf = (run: Run) => Object.fromEntries((run.data.tags ?? []).map((t) => [t.key, t.value]));
const metricsOf = (run: Run) => Object.fromEntries((run.data.metrics ?? []).map((m) => [m.key, m.value]));

describe('the TypeScript SDK against a started server', () => {
  let server: StartedServer;
  let client: CairnClient;
  let scratch: string;

  beforeAll(async () => {
    server = await startServer();
    setTrackingUri(server.url);
    client = new CairnClient(server.url);
    scratch = mkdtempSync(path.join(os.tmpdir(), 'cairn-sdk-e2e-'));
  }, 120_000);

  afterAll(async () => {
    rmSync(scratch, { recursive: true, force: true });
    await server?.stop();
  });

  it('the seed’s fluent flow: experiment created once, params, metrics, artifact, tag; run FINISHED', async () => {
    const experiment = await setExperiment('churn-prediction-v2');
    expect((await setExperiment('churn-prediction-v2')).experiment_id).toBe(experiment.experiment_id);
    const report = path.join(scratch, 'report.html');
    writeFileSync(report, '<h1>AUC 0.87</h1>');
    const modelDir = mkdtempSync(path.join(scratch, 'model-'));
    writeFileSync(path.join(modelDir, 'MLmodel'), 'flavors: {}\n');

    const runId = await startRun({ runName: 'gbm-lr0.05' }, async (run) => {
      await logParams({ n_estimators: 300, learning_rate: 0.05, max_depth: 5 });
      for (let epoch = 0; epoch < 5; epoch++) logMetric('train_loss', 1 / (epoch + 1), { step: epoch });
      logMetric('val_auc', 0.87);
      await run.logArtifact(report);
      await setTag('status', 'active');
      await run.logArtifacts(modelDir, 'model');
      // The README's recipe for `mlflow.sklearn.log_model(…, registered_model_name=…)`: twice, as two trainings would.
      for (const expected of ['1', '2'])
        expect((await getClient().registerModel('churn-gbm', `${run.info.artifact_uri}/model`, { runId: run.runId })).version).toBe(expected);
      return run.runId;
    });

    const run = await client.getRun(runId);
    expect(run.info).toMatchObject({ status: 'FINISHED', run_name: 'gbm-lr0.05', experiment_id: experiment.experiment_id });
    expect(run.info.end_time).toBeGreaterThanOrEqual(run.info.start_time ?? Number.POSITIVE_INFINITY);
    expect(Object.fromEntries((run.data.params ?? []).map((p) => [p.key, p.value]))).toEqual({ n_estimators: '300', learning_rate: '0.05', max_depth: '5' });
    expect(metricsOf(run)).toEqual({ val_auc: 0.87, train_loss: 0.2 });
    expect((await client.getMetricHistory(runId, 'train_loss')).map((m) => m.step).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(tagsOf(run)).toMatchObject({ status: 'active', 'mlflow.source.type': 'LOCAL' });

    expect((await client.listArtifacts(runId)).files).toEqual([
      { path: 'model', is_dir: true },
      { path: 'report.html', is_dir: false, file_size: 17 },
    ]);
    expect((await client.getModelVersion('churn-gbm', '2')).source).toBe(`${run.info.artifact_uri}/model`);
    const copy = path.join(scratch, 'copy.html');
    await client.downloadArtifact(runId, 'report.html', copy);
    expect(readFileSync(copy, 'utf8')).toBe('<h1>AUC 0.87</h1>');

    const found = await client.searchRuns({ experimentIds: [experiment.experiment_id], filter: "metrics.val_auc > 0.85 and tags.status = 'active'" });
    expect(found.items.map((r) => r.info.run_id)).toEqual([runId]);
  });

  it('a throw inside startRun ends the run FAILED and reaches the caller unchanged', async () => {
    await setExperiment('sdk-failures');
    let runId = '';
    const boom = new Error('training diverged');
    await expect(
      startRun({ runName: 'diverges' }, async (run) => {
        runId = run.runId;
        logMetric('loss', Number.NaN, { step: 1 });
        throw boom;
      }),
    ).rejects.toBe(boom);
    const run = await client.getRun(runId);
    expect(run.info.status).toBe('FAILED');
    // The metrics logged before the throw were flushed, NaN included.
    expect(await client.getMetricHistory(runId, 'loss')).toEqual([expect.objectContaining({ value: 'NaN', step: 1 })]);
  });

  it('nested runs carry mlflow.parentRunId; a second top-level run inside one is refused', async () => {
    await setExperiment('sdk-sweep');
    const { parentId, childIds } = await startRun({ runName: 'sweep' }, async (parent) => {
      const childIds = await Promise.all(
        [0.01, 0.05].map((lr) =>
          startRun({ runName: `trial-${lr}`, nested: true }, async (child) => {
            await child.logParam('lr', lr);
            logMetric('val_auc', 0.8 + lr); // the fluent call goes to this child, not the parent
            return child.runId;
          }),
        ),
      );
      await expect(startRun({ runName: 'not-nested' })).rejects.toThrow('nested: true');
      return { parentId: parent.runId, childIds };
    });
    for (const id of childIds) {
      const child = await client.getRun(id);
      expect(tagsOf(child)['mlflow.parentRunId']).toBe(parentId);
      expect(child.info.status).toBe('FINISHED');
      expect(Object.keys(metricsOf(child))).toEqual(['val_auc']);
    }
    expect(tagsOf(await client.getRun(parentId))['mlflow.parentRunId']).toBeUndefined();
    expect(metricsOf(await client.getRun(parentId))).toEqual({});
  });

  it('`await using` ends the run when the block exits; fail() marks it FAILED', async () => {
    let finishedId = '';
    {
      await using run = await startRun({ runName: 'scoped' });
      finishedId = run.runId;
      run.logMetric('m', 1);
    }
    expect((await client.getRun(finishedId)).info.status).toBe('FINISHED');
    expect(await client.getMetricHistory(finishedId, 'm')).toHaveLength(1);

    let failedId = '';
    try {
      await using run = await startRun({ runName: 'scoped-failure' });
      failedId = run.runId;
      try {
        throw new Error('bad data');
      } catch (error) {
        await run.fail();
        throw error;
      }
    } catch {
      // expected
    }
    expect((await client.getRun(failedId)).info.status).toBe('FAILED');
  });

  it('provenance: git commit, branch, remote (credentials stripped), dirty flag, DVC data hash and lockfile as tags', async () => {
    const repo = mkdtempSync(path.join(scratch, 'repo-'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo, encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'train');
    git('remote', 'add', 'origin', 'https://bot:s3cret@example.com/team/churn.git');
    writeFileSync(path.join(repo, 'requirements.txt'), 'scikit-learn==1.5.2\nnumpy==2.1.0\n');
    writeFileSync(path.join(repo, 'data.xml.dvc'), 'outs:\n- md5: 22a1a2931c8370d3aeedd7183606fd7f\n  size: 14445097\n  path: data.xml\n');
    git('add', '.');
    git('commit', '-q', '-m', 'init');
    const commit = git('rev-parse', 'HEAD');

    const cleanTags = await startRun({ runName: 'provenance', provenance: { cwd: repo } }, async (run) => tagsOf(await client.getRun(run.runId)));
    expect(cleanTags).toMatchObject({
      'mlflow.source.git.commit': commit,
      'mlflow.source.git.branch': 'train',
      'mlflow.source.git.repoURL': 'https://example.com/team/churn.git',
      'cairn.git.dirty': 'false',
      'cairn.env.python_packages': '{"numpy":"2.1.0","scikit-learn":"1.5.2"}',
      'mlflow.source.type': 'LOCAL',
    });
    expect(cleanTags['cairn.env.lockfile.requirements.txt']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(cleanTags['cairn.dvc.data_hash']).toMatch(/^[0-9a-f]{64}$/);
    expect(cleanTags['mlflow.user']).toBeTruthy();

    writeFileSync(path.join(repo, 'requirements.txt'), 'scikit-learn==1.6.0\n');
    const dirtyTags = await startRun({ runName: 'provenance-dirty', provenance: { cwd: repo } }, async (run) => tagsOf(await client.getRun(run.runId)));
    expect(dirtyTags['cairn.git.dirty']).toBe('true');
    expect(dirtyTags['cairn.env.lockfile.requirements.txt']).not.toBe(cleanTags['cairn.env.lockfile.requirements.txt']);
    expect(dirtyTags['cairn.dvc.data_hash']).toBe(cleanTags['cairn.dvc.data_hash']);
  });

  it('metrics buffered by a script that exits without flush() all arrive, and its run is ended', async () => {
    const script = path.join(scratch, 'train.js');
    writeFileSync(
      script,
      `const sdk = require(${JSON.stringify(path.join(repoRoot, 'dist', 'libs', 'sdk', 'src', 'index.js'))});
(async () => {
  sdk.setTrackingUri(process.argv[2]);
  await sdk.setExperiment('sdk-exit');
  const run = await sdk.startRun({ runName: 'no-flush', provenance: false });
  for (let step = 0; step < 2500; step++) sdk.logMetric('loss', 1 / (step + 1), { step });
  process.stdout.write(run.runId);
})();
`,
    );
    const runId = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [script, server.url], { timeout: 60_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.trim()),
      ),
    );
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    const history = await client.getMetricHistory(runId, 'loss');
    expect(history).toHaveLength(2500);
    expect(new Set(history.map((m) => m.step)).size).toBe(2500);
    expect((await client.getRun(runId)).info.status).toBe('FINISHED');
  }, 90_000);

  it('errors carry the server’s error_code, message and HTTP status', async () => {
    const error = (await client.getRun('0'.repeat(32)).catch((e: unknown) => e)) as CairnApiError;
    expect(error).toBeInstanceOf(CairnApiError);
    expect({ code: error.errorCode, status: error.httpStatus }).toEqual({ code: 'RESOURCE_DOES_NOT_EXIST', status: 404 });
  });

  it('a deleted experiment cannot be set active until restored', async () => {
    const id = await client.createExperiment('sdk-deleted');
    await client.deleteExperiment(id);
    await expect(setExperiment('sdk-deleted')).rejects.toThrow('deleted');
    await client.restoreExperiment(id);
    expect((await setExperiment('sdk-deleted')).experiment_id).toBe(id);
  });

  // Built in parallel (issue 7, server side): POST /api/2.0/cairn/runs/heartbeat.
  it('heartbeat answers the run’s status', async () => {
    const runId = await startRun({ runName: 'alive', provenance: false }, async (run) => {
      expect(await client.heartbeat(run.runId)).toEqual({ run_status: 'RUNNING' });
      return run.runId;
    });
    expect(await client.heartbeat(runId)).toEqual({ run_status: 'FINISHED' });
  });
});
