import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createTestDatabase, runMlflowClient, startServer, testEndpoints, waitFor, type StartedServer, type TestDatabase } from '@cairn/testing';

const abandonedRun = path.join(__dirname, '..', 'e2e', 'abandoned_run.py');

interface RunJson {
  info: { run_id: string; status: string; lifecycle_stage: string; start_time: number; end_time?: number };
  data: { tags?: { key: string; value: string }[] };
}

interface GcJson {
  dry_run: boolean;
  purged_runs: string[];
  purged_experiments: string[];
  skipped: { run_id: string; reason: string; model_versions: { name: string; version: string }[] }[];
  skipped_experiments: { experiment_id: string; reason: string }[];
}

/**
 * Issue 7 against the built all-in-one server (tracking, registry, artifacts on the in-process bus),
 * with a 3 s orphan timeout and a 1 s reaper interval.
 */
describe('run lifecycle: orphan reaper, heartbeats, retention GC (started server)', () => {
  let server: StartedServer;
  let mlflow: string;
  let cairn: string;

  beforeAll(async () => {
    server = await startServer({ app: 'server', env: { CAIRN_ORPHAN_TIMEOUT_S: '3', CAIRN_REAPER_INTERVAL_S: '1' } });
    mlflow = `${server.url}/api/2.0/mlflow`;
    cairn = `${server.url}/api/2.0/cairn`;
  }, 120_000);

  afterAll(() => server?.stop());

  const post = async <T = Record<string, unknown>>(url: string, body: unknown): Promise<{ status: number; json: T }> => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as T };
  };
  const getRun = async (runId: string) => {
    const response = await fetch(`${mlflow}/runs/get?run_id=${runId}`);
    return { status: response.status, json: (await response.json()) as { run: RunJson; error_code?: string } };
  };
  const newRun = async (experimentId = '0') =>
    (await post<{ run: RunJson }>(`${mlflow}/runs/create`, { experiment_id: experimentId, start_time: Date.now() })).json.run.info.run_id;
  const tag = (run: RunJson, key: string) => run.data.tags?.find((t) => t.key === key)?.value;

  it('a Python-client run abandoned mid-way (no heartbeats) is closed KILLED with the cairn.reaped_reason tag', async () => {
    const result = await runMlflowClient(3, abandonedRun, ['abandoned'], { MLFLOW_TRACKING_URI: server.url });
    const runId = /RUN_ID=([0-9a-f]{32})/.exec(result.stdout)?.[1];
    if (runId === undefined) throw new Error(`no run id:\n${result.stdout}\n${result.stderr}`);
    const run = await waitFor(
      async () => {
        const { json } = await getRun(runId);
        return json.run.info.status === 'KILLED' ? json.run : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, message: 'the abandoned run to be reaped' },
    );
    expect(tag(run, 'cairn.reaped_reason')).toMatch(/^no heartbeat or write for \d+ s \(orphan timeout 3 s\)$/);
    expect(run.info.end_time).toBeGreaterThanOrEqual(run.info.start_time);
    expect(run.info.end_time).toBeLessThanOrEqual(Date.now());
    // What it logged is kept.
    expect(run.data).toMatchObject({ params: [{ key: 'lr', value: '0.1' }] });
  }, 120_000);

  it('a run that sends heartbeats stays RUNNING while a silent one beside it is reaped; the heartbeat then reports KILLED', async () => {
    const alive = await newRun();
    const silent = await newRun();
    const beat = async (runId: string) => post<{ run_status: string }>(`${cairn}/runs/heartbeat`, { run_id: runId });
    const deadline = Date.now() + 9_000; // three orphan timeouts
    while (Date.now() < deadline) {
      expect(await beat(alive)).toEqual({ status: 200, json: { run_status: 'RUNNING' } });
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect((await getRun(silent)).json.run.info.status).toBe('KILLED');
    expect((await getRun(alive)).json.run.info.status).toBe('RUNNING');
    expect(await beat(silent)).toEqual({ status: 200, json: { run_status: 'KILLED' } });
  }, 60_000);

  it('heartbeat input mistakes are MLflow errors', async () => {
    expect(await post(`${cairn}/runs/heartbeat`, { run_id: 'f'.repeat(32) })).toMatchObject({ status: 404, json: { error_code: 'RESOURCE_DOES_NOT_EXIST' } });
    expect(await post(`${cairn}/runs/heartbeat`, {})).toMatchObject({ status: 400, json: { error_code: 'INVALID_PARAMETER_VALUE' } });
    expect(await post(`${cairn}/runs/heartbeat`, { run_id: 42 })).toMatchObject({ status: 400, json: { error_code: 'INVALID_PARAMETER_VALUE' } });
    expect(await post(`${cairn}/gc`, { older_than_days: -1 })).toMatchObject({ status: 400, json: { error_code: 'INVALID_PARAMETER_VALUE' } });
  });

  it('GC purges an expired deleted run (404 afterwards, artifacts collected) and refuses one a model version references', async () => {
    const { json: created } = await post<{ experiment_id: string }>(`${mlflow}/experiments/create`, { name: 'gc-e2e' });
    const experimentId = created.experiment_id;
    const expired = await newRun(experimentId);
    const referenced = await newRun(experimentId);
    const artifact = `${server.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${expired}/artifacts/notes.txt`;
    expect((await fetch(artifact, { method: 'PUT', body: 'only in this run' })).status).toBe(200);
    expect((await fetch(artifact)).status).toBe(200);
    const summary = `${cairn}/registry/run-summaries/get?run_id=${expired}`;
    await waitFor(async () => ((await fetch(summary)).status === 200 ? true : undefined), { timeoutMs: 30_000, message: "the registry's summary of the run" });

    expect((await post(`${mlflow}/registered-models/create`, { name: 'gc-e2e-model' })).status).toBe(200);
    const version = await post(`${mlflow}/model-versions/create`, { name: 'gc-e2e-model', source: `runs:/${referenced}/model`, run_id: referenced });
    expect(version.status).toBe(200);
    for (const runId of [expired, referenced]) expect((await post(`${mlflow}/runs/delete`, { run_id: runId })).status).toBe(200);
    expect((await post(`${mlflow}/experiments/delete`, { experiment_id: experimentId })).status).toBe(200);

    // Tracking learns the reference from the registry's event; a dry run shows when it has.
    await waitFor(
      async () =>
        (await post<GcJson>(`${cairn}/gc`, { dry_run: true, older_than_days: 0 })).json.skipped.some((s) => s.run_id === referenced) ? true : undefined,
      { timeoutMs: 30_000, message: 'the model version reference to reach tracking' },
    );
    const { status, json: report } = await post<GcJson>(`${cairn}/gc`, { older_than_days: 0 });
    expect(status).toBe(200);
    expect(report.dry_run).toBe(false);
    expect(report.purged_runs).toContain(expired);
    expect(report.purged_runs).not.toContain(referenced);
    expect(report.skipped).toContainEqual({
      run_id: referenced,
      reason: 'referenced by registered model version gc-e2e-model/1',
      model_versions: [{ name: 'gc-e2e-model', version: '1' }],
    });
    expect(report.purged_experiments).not.toContain(experimentId);
    expect(report.skipped_experiments).toContainEqual({ experiment_id: experimentId, reason: expect.stringContaining(`run ${referenced} is not purged`) });

    expect(await getRun(expired)).toMatchObject({ status: 404, json: { error_code: 'RESOURCE_DOES_NOT_EXIST' } });
    expect((await getRun(referenced)).json.run.info.lifecycle_stage).toBe('deleted');
    // The artifacts context collects the purged run's files from the tracking.run.purged.v1 event.
    await waitFor(async () => ((await fetch(artifact)).status === 404 ? true : undefined), {
      timeoutMs: 30_000,
      message: "the purged run's artifact to be collected",
    });
    const usage = (await (await fetch(`${cairn}/artifacts/usage?run_id=${expired}`)).json()) as { files: number };
    expect(usage.files).toBe(0);
    // The registry drops its projection of the purged run too.
    await waitFor(async () => ((await fetch(summary)).status === 404 ? true : undefined), { timeoutMs: 30_000, message: "the registry's summary to go" });
  }, 60_000);

  it('a deleted run stays restorable within the retention: a GC pass leaves it', async () => {
    const runId = await newRun();
    expect((await post(`${mlflow}/runs/delete`, { run_id: runId })).status).toBe(200);
    const { json: report } = await post<GcJson>(`${cairn}/gc`, {});
    expect(report.purged_runs).not.toContain(runId);
    expect((await post(`${mlflow}/runs/restore`, { run_id: runId })).status).toBe(200);
    expect((await getRun(runId)).json.run.info.lifecycle_stage).toBe('active');
  });
});

/** Distributed mode: tracking-service learns references from registry-service's events over Kafka. */
describe('GC in distributed mode: registry-service → Kafka → tracking-service', () => {
  let database: TestDatabase;
  let tracking: StartedServer;
  let registry: StartedServer;

  beforeAll(async () => {
    database = await createTestDatabase({ migrated: true });
    const env = {
      CAIRN_KAFKA_BROKERS: testEndpoints.kafkaBrokers(),
      CAIRN_KAFKA_TOPIC_PREFIX: `e2e-${randomBytes(4).toString('hex')}.`,
      CAIRN_RELAY_INTERVAL_MS: '100',
    };
    // Started together on new topics, as a deployment does: each waits until its topics are served.
    [tracking, registry] = await Promise.all([
      startServer({ app: 'tracking-service', database, env, timeoutMs: 90_000 }),
      startServer({ app: 'registry-service', database, env, timeoutMs: 90_000 }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([tracking?.stop(), registry?.stop()]);
    await database?.drop();
  }, 60_000);

  const post = async <T = Record<string, unknown>>(base: string, route: string, body: unknown): Promise<T> => {
    const response = await fetch(`${base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect({ route, status: response.status }).toEqual({ route, status: 200 });
    return (await response.json()) as T;
  };

  it('refuses to purge a run a version registered on registry-service references, purges the other', async () => {
    const newRun = async () => (await post<{ run: RunJson }>(tracking.url, '/api/2.0/mlflow/runs/create', { experiment_id: '0' })).run.info.run_id;
    const [kept, purged] = [await newRun(), await newRun()];
    await post(registry.url, '/api/2.0/mlflow/registered-models/create', { name: 'distributed' });
    await post(registry.url, '/api/2.0/mlflow/model-versions/create', { name: 'distributed', source: `mlflow-artifacts:/0/${kept}/artifacts/model` });
    for (const runId of [kept, purged]) await post(tracking.url, '/api/2.0/mlflow/runs/delete', { run_id: runId });

    await waitFor(
      async () =>
        (await post<GcJson>(tracking.url, '/api/2.0/cairn/gc', { dry_run: true, older_than_days: 0 })).skipped.some((s) => s.run_id === kept)
          ? true
          : undefined,
      { timeoutMs: 60_000, intervalMs: 200, message: 'the registry event to reach tracking-service over Kafka' },
    );
    const report = await post<GcJson>(tracking.url, '/api/2.0/cairn/gc', { older_than_days: 0 });
    expect(report.purged_runs).toEqual([purged]);
    expect(report.skipped).toEqual([
      { run_id: kept, reason: 'referenced by registered model version distributed/1', model_versions: [{ name: 'distributed', version: '1' }] },
    ]);
    expect((await fetch(`${tracking.url}/api/2.0/mlflow/runs/get?run_id=${purged}`)).status).toBe(404);
  }, 90_000);
});
