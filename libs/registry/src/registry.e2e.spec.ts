import path from 'node:path';
import { runMlflowClient, startServer, waitFor, type StartedServer } from '@cairn/testing';

const scenario = path.join(__dirname, '..', 'e2e', 'registry_scenario.py');

// The registry against a started all-in-one server: the invariants that must hold under
// concurrency, Cairn's history and as-of reads, the alias watch, and the real mlflow clients.
/** The fields of MLflow's registry read answers the replica test looks at. */
interface ModelReadAnswer {
  registered_model?: { description?: string };
  model_version?: { version: string; current_stage: string; tags: unknown[] };
  model_versions?: Array<{ version: string }>;
}

describe('registry API against a started server', () => {
  let server: StartedServer;
  let api: string;
  let cairn: string;

  beforeAll(async () => {
    server = await startServer({ app: 'server' });
    api = `${server.url}/api/2.0/mlflow`;
    cairn = `${server.url}/api/2.0/cairn`;
  }, 120_000);

  afterAll(() => server?.stop());

  const call = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${api}/${route}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const ok = async (method: string, route: string, body?: unknown) => {
    const result = await call(method, route, body);
    expect({ route, status: result.status, body: result.status === 200 ? 'ok' : result.body }).toEqual({ route, status: 200, body: 'ok' });
    return result.body;
  };
  const get = async (route: string) => {
    const response = await fetch(`${api}/${route}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const versionsOf = async (name: string) => {
    const { body } = await get(`model-versions/search?filter=${encodeURIComponent(`name='${name}'`)}`);
    return (body['model_versions'] as Array<{ version: string; current_stage: string }>) ?? [];
  };
  const createVersion = (name: string) => ok('POST', 'model-versions/create', { name, source: `runs:/${'a'.repeat(32)}/model`, run_id: 'a'.repeat(32) });

  it('20 clients creating versions of one model at once get exactly 1..20', async () => {
    await ok('POST', 'registered-models/create', { name: 'concurrent-versions' });
    const created = await Promise.all(Array.from({ length: 20 }, () => createVersion('concurrent-versions')));
    const numbers = created.map((b) => Number((b['model_version'] as { version: string }).version)).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await versionsOf('concurrent-versions')).map((v) => Number(v.version)).sort((a, b) => a - b)).toEqual(numbers);
  }, 60_000);

  it('10 clients creating the same registered model at once: one succeeds, the others get RESOURCE_ALREADY_EXISTS', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => call('POST', 'registered-models/create', { name: 'raced-name' })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 400 && r.body['error_code'] === 'RESOURCE_ALREADY_EXISTS')).toHaveLength(9);
  }, 60_000);

  it('8 clients promoting different versions to Production with archive_existing_versions leave exactly one there', async () => {
    await ok('POST', 'registered-models/create', { name: 'concurrent-promotions' });
    for (let i = 0; i < 8; i++) await createVersion('concurrent-promotions');
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        ok('POST', 'model-versions/transition-stage', {
          name: 'concurrent-promotions',
          version: String(i + 1),
          stage: 'Production',
          archive_existing_versions: true,
        }),
      ),
    );
    const stages = (await versionsOf('concurrent-promotions')).map((v) => v.current_stage);
    expect(stages.filter((s) => s === 'Production')).toHaveLength(1);
    expect(stages.filter((s) => s === 'Archived')).toHaveLength(7);
    const latest = await ok('POST', 'registered-models/get-latest-versions', { name: 'concurrent-promotions', stages: ['Production'] });
    expect(latest['model_versions']).toHaveLength(1);
  }, 60_000);

  it('answers which version held an alias and a stage at a past time, and lists every change with before/after', async () => {
    const name = 'history-model';
    await ok('POST', 'registered-models/create', { name });
    for (let i = 0; i < 3; i++) await createVersion(name);
    const pause = () => new Promise((r) => setTimeout(r, 30));
    await ok('POST', 'registered-models/alias', { name, alias: 'champion', version: '1' });
    await ok('POST', 'model-versions/transition-stage', { name, version: '1', stage: 'Production', archive_existing_versions: true });
    await pause();
    const t1 = Date.now();
    await pause();
    await ok('POST', 'registered-models/alias', { name, alias: 'champion', version: '2' });
    await ok('POST', 'model-versions/transition-stage', { name, version: '2', stage: 'production', archive_existing_versions: true });
    await pause();
    const t2 = Date.now();
    await pause();
    await ok('DELETE', 'registered-models/alias', { name, alias: 'champion' });

    const asOf = async (query: string) => (await fetch(`${cairn}/registered-models/as-of?name=${name}&${query}`)).json() as Promise<Record<string, unknown>>;
    expect(await asOf(`as_of=${t1}&alias=champion`)).toMatchObject({ version: '1' });
    expect(await asOf(`as_of=${new Date(t2).toISOString()}&alias=champion`)).toMatchObject({ version: '2' });
    expect(await asOf(`as_of=${Date.now()}&alias=champion`)).not.toHaveProperty('version');
    expect(await asOf(`as_of=${t1}&stage=Production`)).toMatchObject({ versions: ['1'] });
    expect(await asOf(`as_of=${t2}&stage=Production`)).toMatchObject({ versions: ['2'] });
    expect(await asOf(`as_of=${t2}&stage=Archived`)).toMatchObject({ versions: ['1'] });

    const history = (await (await fetch(`${cairn}/registered-models/history?name=${name}`)).json()) as { changes: Array<Record<string, unknown>> };
    const promotions = history.changes.filter((c) => c['type'] === 'registry.model_version.stage_transitioned.v1');
    expect(promotions[1]).toMatchObject({
      actor: 'anonymous',
      version: '2',
      before: { stage: 'None', archived: [{ version: '1', stage: 'Production' }] },
      after: { stage: 'Production', archived: [{ version: '1', stage: 'Archived' }] },
    });
    const aliasMoves = history.changes.filter((c) => String(c['type']).startsWith('registry.alias.'));
    expect(aliasMoves.map((c) => [c['before'], c['after']])).toEqual([
      [
        { alias: 'champion', version: null },
        { alias: 'champion', version: '1' },
      ],
      [
        { alias: 'champion', version: '1' },
        { alias: 'champion', version: '2' },
      ],
      [{ alias: 'champion', version: '2' }, null],
    ]);
  }, 60_000);

  it('a watching pod learns of an alias move within a second; an unchanged alias answers 304', async () => {
    const name = 'served-model';
    await ok('POST', 'registered-models/create', { name });
    await createVersion(name);
    await createVersion(name);
    await ok('POST', 'registered-models/alias', { name, alias: 'champion', version: '1' });
    const resolve = `${cairn}/registered-models/alias/resolve?name=${name}&alias=champion`;
    const first = await fetch(resolve);
    expect(await first.json()).toMatchObject({ version: '1' });
    const etag = first.headers.get('etag') ?? '';
    expect((await fetch(resolve, { headers: { 'if-none-match': etag } })).status).toBe(304);

    const started = Date.now();
    const watching = fetch(`${resolve}&wait=30s`, { headers: { 'if-none-match': etag } });
    await new Promise((r) => setTimeout(r, 300));
    const movedAt = Date.now();
    await ok('POST', 'registered-models/alias', { name, alias: 'champion', version: '2' });
    const moved = await watching;
    expect(moved.status).toBe(200);
    expect(await moved.json()).toMatchObject({ version: '2' });
    expect(Date.now() - movedAt).toBeLessThan(1000);
    expect(Date.now() - started).toBeLessThan(5000);
  }, 60_000);

  it('a pod watching another replica (same database) learns of the move too', async () => {
    const replica = await startServer({ app: 'server', database: { url: server.databaseUrl } });
    try {
      const name = 'replicated-model';
      await ok('POST', 'registered-models/create', { name });
      await createVersion(name);
      await createVersion(name);
      await ok('POST', 'registered-models/alias', { name, alias: 'champion', version: '1' });
      const resolve = `${replica.url}/api/2.0/cairn/registered-models/alias/resolve?name=${name}&alias=champion`;
      const first = await fetch(resolve);
      expect(await first.json()).toMatchObject({ version: '1' });
      const watching = fetch(`${resolve}&wait=30s`, { headers: { 'if-none-match': first.headers.get('etag') ?? '' } });
      await new Promise((r) => setTimeout(r, 300));
      const movedAt = Date.now();
      await ok('POST', 'registered-models/alias', { name, alias: 'champion', version: '2' });
      const moved = await watching;
      expect(await moved.json()).toMatchObject({ version: '2' });
      expect(Date.now() - movedAt).toBeLessThan(1000);
    } finally {
      await replica.stop();
    }
  }, 120_000);

  it("a model load's reads on another replica (answered from its cache) see every change made through this one", async () => {
    const replica = await startServer({ app: 'server', database: { url: server.databaseUrl } });
    try {
      const name = 'cached-on-replica';
      const onReplica = async (route: string) => {
        const response = await fetch(`${replica.url}/api/2.0/mlflow/${route}`);
        return { status: response.status, body: (await response.json()) as ModelReadAnswer };
      };
      // Within 2 s: a change reaches the other replica's cache through NOTIFY in milliseconds; a stale
      // entry would otherwise live its full 10 s lifetime.
      const soon = (check: () => Promise<boolean>, what: string) =>
        waitFor(async () => ((await check()) ? true : undefined), { timeoutMs: 2000, intervalMs: 20, message: what });
      // Not registered yet: the replica caches the 404 as well, and must drop it on creation.
      expect((await onReplica(`registered-models/get?name=${name}`)).status).toBe(404);
      await ok('POST', 'registered-models/create', { name });
      await soon(async () => (await onReplica(`registered-models/get?name=${name}`)).status === 200, 'the model on the replica');
      await createVersion(name);
      await ok('POST', 'registered-models/alias', { name, alias: 'champion', version: '1' });
      const alias = `registered-models/alias?name=${name}&alias=champion`;
      const latest = `registered-models/get-latest-versions?name=${name}`;
      await soon(async () => (await onReplica(alias)).body.model_version?.version === '1', 'champion → 1 on the replica');
      expect((await onReplica(latest)).body.model_versions?.map((v) => v.version)).toEqual(['1']);

      // Each kind of change, read right after through MLflow's routes on the replica (each read
      // cached there first, so that only a dropped entry can show the change).
      await createVersion(name);
      await soon(async () => (await onReplica(latest)).body.model_versions?.[0]?.version === '2', 'latest version 2');
      expect((await onReplica(`model-versions/get?name=${name}&version=2`)).body.model_version?.tags).toEqual([]);
      expect((await onReplica(`model-versions/get-download-uri?name=${name}&version=1`)).status).toBe(200);
      await ok('POST', 'registered-models/alias', { name, alias: 'champion', version: '2' });
      await soon(async () => (await onReplica(alias)).body.model_version?.version === '2', 'champion → 2');
      await ok('POST', 'model-versions/set-tag', { name, version: '2', key: 'validated', value: 'yes' });
      await soon(
        async () =>
          JSON.stringify((await onReplica(`model-versions/get?name=${name}&version=2`)).body.model_version?.tags) === '[{"key":"validated","value":"yes"}]',
        'the version tag',
      );
      await ok('POST', 'model-versions/transition-stage', { name, version: '2', stage: 'Production', archive_existing_versions: false });
      await soon(async () => (await onReplica(alias)).body.model_version?.current_stage === 'Production', 'the stage');
      await ok('PATCH', 'registered-models/update', { name, description: 'churn model' });
      await soon(async () => (await onReplica(`registered-models/get?name=${name}`)).body.registered_model?.description === 'churn model', 'the description');
      await ok('DELETE', 'registered-models/alias', { name, alias: 'champion' });
      await soon(async () => (await onReplica(alias)).status === 400, 'the alias gone');
      await ok('DELETE', 'registered-models/delete', { name });
      await soon(async () => (await onReplica(`model-versions/get-download-uri?name=${name}&version=1`)).status === 404, 'the model gone');
    } finally {
      await replica.stop();
    }
  }, 120_000);

  it('serves lineage from its projection of tracking runs, and promotes a challenger only on a better metric', async () => {
    const track = async (route: string, body: unknown) => ok('POST', route, body);
    const { experiment_id } = (await track('experiments/create', { name: `lineage-${Date.now()}` })) as { experiment_id: string };
    const runOf = async (auc: number) => {
      const { run } = (await track('runs/create', { experiment_id, start_time: Date.now(), run_name: `auc-${auc}` })) as { run: { info: { run_id: string } } };
      const runId = run.info.run_id;
      await track('runs/log-batch', {
        run_id: runId,
        params: [{ key: 'learning_rate', value: '0.05' }],
        tags: [
          { key: 'mlflow.source.git.commit', value: '3f2c1ab' },
          { key: 'dvc_data_hash', value: 'md5:9d1e' },
        ],
        metrics: [{ key: 'val_auc', value: auc, timestamp: Date.now(), step: 0 }],
      });
      return runId;
    };
    const [champion, challenger] = [await runOf(0.87), await runOf(0.89)];
    const name = 'lineage-model';
    await ok('POST', 'registered-models/create', { name });
    for (const runId of [champion, challenger]) await ok('POST', 'model-versions/create', { name, source: `runs:/${runId}/model`, run_id: runId });
    await ok('POST', 'model-versions/transition-stage', { name, version: '1', stage: 'Production', archive_existing_versions: true });

    const lineage = await waitFor(
      async () => {
        const body = (await (await fetch(`${cairn}/model-versions/lineage?name=${name}&version=2`)).json()) as Record<string, unknown>;
        return body['run_known'] ? body : undefined;
      },
      { timeoutMs: 10_000, message: 'the registry to project the tracking run' },
    );
    expect(lineage).toMatchObject({
      run_id: challenger,
      run: { run_id: challenger, experiment_id, params: { learning_rate: '0.05' }, metrics: { val_auc: 0.89 } },
      code: { commit: '3f2c1ab', commit_tag: 'mlflow.source.git.commit' },
      data: { dvc_data_hash: 'md5:9d1e' },
    });

    const promote = (minDelta: number) =>
      fetch(`${cairn}/registered-models/promote`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name,
          challenger: '2',
          metric: 'val_auc',
          min_delta: minDelta,
          direction: 'higher_is_better',
          stage: 'Production',
          archive_existing_versions: true,
        }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    expect(await promote(0.05)).toMatchObject({ status: 200, body: { promoted: false, champion_version: '1', challenger_value: 0.89, champion_value: 0.87 } });
    expect((await versionsOf(name)).find((v) => v.version === '1')?.current_stage).toBe('Production');
    expect(await promote(0.005)).toMatchObject({ status: 200, body: { promoted: true } });
    const stages = Object.fromEntries((await versionsOf(name)).map((v) => [v.version, v.current_stage]));
    expect(stages).toEqual({ '1': 'Archived', '2': 'Production' });
    const history = (await (await fetch(`${cairn}/registered-models/history?name=${name}`)).json()) as { changes: Array<{ type: string }> };
    expect(history.changes.filter((c) => c.type === 'registry.promotion.decided.v1')).toHaveLength(2);

    const references = (await (await fetch(`${cairn}/registry/run-references?run_id=${challenger}`)).json()) as Record<string, unknown>;
    expect(references).toEqual({ run_id: challenger, referenced: true, model_versions: [{ name, version: '2', current_stage: 'Production' }] });
  }, 60_000);

  it('runs/get, the registry run summary and promote take the same latest point when a NaN and a number share step and timestamp', async () => {
    const track = async (route: string, body: unknown) => ok('POST', route, body);
    const { experiment_id } = (await track('experiments/create', { name: `nan-split-${Date.now()}` })) as { experiment_id: string };
    const t = Date.now();
    // Each series ends on a NaN and a number at one (step, timestamp), logged in separate requests
    // (so separate events) in both orders, behind a point with a later timestamp and a smaller step.
    const runWith = async (batches: Array<Array<{ key: string; value: number | string }>>) => {
      const { run } = (await track('runs/create', { experiment_id, start_time: t })) as { run: { info: { run_id: string } } };
      const runId = run.info.run_id;
      await track('runs/log-batch', { run_id: runId, metrics: [{ key: 'val_auc', value: 0.99, timestamp: t + 50, step: 2 }] });
      for (const batch of batches) await track('runs/log-batch', { run_id: runId, metrics: batch.map((m) => ({ ...m, timestamp: t, step: 3 })) });
      await track('runs/set-tag', { run_id: runId, key: 'series', value: 'complete' });
      return runId;
    };
    const champion = await runWith([[{ key: 'val_auc', value: 0.87 }]]);
    const challenger = await runWith([
      [
        { key: 'val_auc', value: 'NaN' },
        { key: 'loss', value: -0.2 },
      ],
      [
        { key: 'val_auc', value: 0.9 },
        { key: 'loss', value: 'NaN' },
      ],
    ]);
    const reversed = await runWith([
      [
        { key: 'val_auc', value: 0.9 },
        { key: 'loss', value: 'NaN' },
      ],
      [
        { key: 'val_auc', value: 'NaN' },
        { key: 'loss', value: -0.2 },
      ],
    ]);

    const tracked = async (runId: string) => {
      const { run } = (await ok('GET', `runs/get?run_id=${runId}`)) as { run: { data: { metrics: Array<{ key: string; value: unknown }> } } };
      return Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
    };
    // The registry projects asynchronously, a run's events in order: the tag comes after the points.
    const summarized = (runId: string) =>
      waitFor(
        async () => {
          const response = await fetch(`${cairn}/registry/run-summaries/get?run_id=${runId}`);
          if (response.status !== 200) return undefined;
          const { run_summary } = (await response.json()) as { run_summary: { tags: Record<string, string>; metrics: Record<string, { value: unknown }> } };
          return run_summary.tags['series'] === 'complete'
            ? Object.fromEntries(Object.entries(run_summary.metrics).map(([key, m]) => [key, m.value]))
            : undefined;
        },
        { timeoutMs: 10_000, message: `the registry to project run ${runId}` },
      );
    for (const runId of [challenger, reversed]) {
      expect(await tracked(runId)).toEqual({ val_auc: 0.9, loss: 'NaN' });
      expect(await summarized(runId)).toEqual({ val_auc: 0.9, loss: 'NaN' });
    }
    expect(await summarized(champion)).toEqual({ val_auc: 0.87 });

    const name = 'nan-split-model';
    await ok('POST', 'registered-models/create', { name });
    for (const runId of [champion, challenger]) await ok('POST', 'model-versions/create', { name, source: `runs:/${runId}/model`, run_id: runId });
    await ok('POST', 'model-versions/transition-stage', { name, version: '1', stage: 'Production', archive_existing_versions: false });
    const response = await fetch(`${cairn}/registered-models/promote`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, challenger: '2', metric: 'val_auc', min_delta: 0, direction: 'higher_is_better', stage: 'Production' }),
    });
    expect({ status: response.status, body: await response.json() }).toMatchObject({
      status: 200,
      body: { promoted: true, challenger_value: 0.9, champion_value: 0.87 },
    });
  }, 60_000);

  it('refuses client mistakes with MLflow codes, never 5xx', async () => {
    await ok('POST', 'registered-models/create', { name: 'errors-model' });
    await createVersion('errors-model');
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', 'registered-models/create', { name: 'errors-model' }, 400, 'RESOURCE_ALREADY_EXISTS'],
      ['POST', 'registered-models/create', {}, 400, 'INVALID_PARAMETER_VALUE'],
      ['POST', 'model-versions/create', { name: 'errors-model', source: 'file:///etc/passwd' }, 400, 'INVALID_PARAMETER_VALUE'],
      ['POST', 'model-versions/create', { name: 'errors-model', source: 'http://169.254.169.254/latest/meta-data' }, 400, 'INVALID_PARAMETER_VALUE'],
      ['POST', 'model-versions/create', { name: 'errors-model', source: 'mlflow-artifacts:/1/%2e%2e/%2e%2e/etc' }, 400, 'INVALID_PARAMETER_VALUE'],
      ['POST', 'model-versions/create', { name: 'no-such-model', source: 'runs:/abc/model' }, 404, 'RESOURCE_DOES_NOT_EXIST'],
      [
        'POST',
        'model-versions/transition-stage',
        { name: 'errors-model', version: '1', stage: 'Archived', archive_existing_versions: true },
        400,
        'INVALID_PARAMETER_VALUE',
      ],
      ['POST', 'model-versions/transition-stage', { name: 'errors-model', version: '1', stage: 'prod' }, 400, 'INVALID_PARAMETER_VALUE'],
      ['POST', 'model-versions/transition-stage', { name: 'errors-model', version: 'x', stage: 'Staging' }, 400, 'INVALID_PARAMETER_VALUE'],
      ['POST', 'model-versions/transition-stage', { name: 'errors-model', version: '9', stage: 'Staging' }, 404, 'RESOURCE_DOES_NOT_EXIST'],
      ['POST', 'registered-models/alias', { name: 'errors-model', alias: 'latest', version: '1' }, 400, 'INVALID_PARAMETER_VALUE'],
      ['POST', 'registered-models/alias', { name: 'errors-model', alias: 'v1', version: '1' }, 400, 'INVALID_PARAMETER_VALUE'],
      ['POST', 'registered-models/alias', { name: 'errors-model', alias: 'champion', version: '9' }, 404, 'RESOURCE_DOES_NOT_EXIST'],
      ['POST', 'registered-models/rename', { name: 'errors-model', new_name: 'concurrent-versions' }, 400, 'RESOURCE_ALREADY_EXISTS'],
      ['DELETE', 'registered-models/delete', { name: 'no-such-model' }, 404, 'RESOURCE_DOES_NOT_EXIST'],
    ];
    for (const [method, route, body, status, code] of cases) {
      const result = await call(method, route, body);
      expect({ route, body, status: result.status, code: result.body['error_code'] }).toEqual({ route, body, status, code });
    }
    expect(await get('registered-models/alias?name=errors-model&alias=nope')).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    expect(await get(`registered-models/search?filter=${encodeURIComponent('name = ')}`)).toMatchObject({ status: 400 });
    expect(await get('registered-models/search?max_results=1001')).toMatchObject({ status: 400 });
  }, 60_000);

  it('pages registered-model search with a token', async () => {
    for (const n of ['page-a', 'page-b', 'page-c']) await ok('POST', 'registered-models/create', { name: n });
    const filter = encodeURIComponent("name LIKE 'page-%'");
    const first = await get(`registered-models/search?filter=${filter}&max_results=2`);
    expect((first.body['registered_models'] as Array<{ name: string }>).map((m) => m.name)).toEqual(['page-a', 'page-b']);
    const token = encodeURIComponent(String(first.body['next_page_token']));
    const second = await get(`registered-models/search?filter=${filter}&max_results=2&page_token=${token}`);
    expect((second.body['registered_models'] as Array<{ name: string }>).map((m) => m.name)).toEqual(['page-c']);
    expect(second.body).not.toHaveProperty('next_page_token');
  });

  const clients = (['CAIRN_TEST_MLFLOW3_PYTHON', 'CAIRN_TEST_MLFLOW2_PYTHON'] as const).every((v) => process.env[v])
    ? it.each([3, 2] as const)
    : it.skip.each([3, 2] as const);
  clients(
    'the real mlflow %i.x client: registry scenario',
    async (major) => {
      const result = await runMlflowClient(major, scenario, [], { MLFLOW_TRACKING_URI: server.url });
      expect({ code: result.code, tail: result.stdout.slice(-300) + result.stderr.slice(-1500) }).toMatchObject({ code: 0 });
      expect(result.stdout).toContain('REGISTRY SCENARIO OK');
    },
    300_000,
  );
});
