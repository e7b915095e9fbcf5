import { createServer, request, type ServerResponse } from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { REGISTRY_EVENT_TYPES, topicOf, TRACKING_EVENT_TYPES, type EventEnvelope } from '@cairn/contracts';
import { startService, type RunningService, type ServiceDefinition } from '@cairn/runtime';
import { createTestDatabase, listenAsS3, waitFor } from '@cairn/testing';
import { ArtifactsModule, artifactsReadinessProbes, artifactsSubscriptions, BlobCollector, MULTIPART_UNSUPPORTED } from './index';
import { Readable } from 'node:stream';
import { FilesystemBlobStore } from '@cairn/blobstore';
import { HOSTILE_ARTIFACT_PATHS, rawRequest } from './testing/http';

const RUN = '0123456789abcdef0123456789abcdef';
const OTHER_RUN = 'fedcba9876543210fedcba9876543210';
const ROOT = `/api/2.0/mlflow-artifacts/artifacts/7/${RUN}/artifacts`;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function envelope(context: 'tracking' | 'registry', type: string, aggregateId: string, data: unknown): EventEnvelope {
  return {
    eventId: randomUUID(),
    type,
    context,
    aggregateId,
    aggregateVersion: 1,
    occurredAt: new Date().toISOString(),
    actor: 'test',
    correlationId: null,
    causationId: null,
    data,
  };
}

/** Files under a directory, recursively (the blob store's content, to prove nothing was written). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(path.join(dir, f)).isFile());
}

/**
 * A fresh database and home, the artifacts service started on them (`env` gets the home), and a SQL
 * client on the database; `stop` undoes all of it.
 */
async function startArtifacts(definition: ServiceDefinition, env: (home: string) => Record<string, string>) {
  const db = await createTestDatabase({ migrated: false });
  const home = mkdtempSync(path.join(os.tmpdir(), `cairn-${definition.name}-`));
  // The artifacts context alone, in this process, on the in-process bus (events are fed by hand).
  const service = await startService(
    { ...definition, embeddedDefaults: true },
    { CAIRN_DATABASE_URL: db.url, CAIRN_PORT: '0', CAIRN_HOME: home, CAIRN_LOG_LEVEL: 'silent', ...env(home) },
  );
  const sql = new Client({ connectionString: db.url });
  await sql.connect();
  return {
    service,
    sql,
    url: db.url,
    stop: async () => {
      await sql.end();
      await service.stop();
      await db.drop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

describe('artifacts context over HTTP (filesystem blob store, real Postgres)', () => {
  let artifacts: Awaited<ReturnType<typeof startArtifacts>> | undefined;
  let service: RunningService;
  let sql: Client;
  let blobRoot: string;
  const put = (p: string, body: Buffer | string, contentType = 'application/octet-stream') =>
    rawRequest(service.url, 'PUT', `${ROOT}/${p}`, { body, headers: { 'content-type': contentType } });
  const get = (p: string, headers: Record<string, string> = {}) => rawRequest(service.url, 'GET', `${ROOT}/${p}`, { headers });
  const count = async (query: string, params: unknown[] = []) => Number((await sql.query<{ n: string }>(query, params)).rows[0]?.n);
  /** Sweeps until the garbage queue is empty (a sweep started by the server may hold rows meanwhile). */
  const sweep = () =>
    waitFor(
      async () => {
        await (globalThis as { __collector?: BlobCollector }).__collector?.sweep();
        return (await count('SELECT count(*) AS n FROM artifacts.blob_garbage')) === 0 ? true : undefined;
      },
      { message: 'blob garbage to be collected' },
    );

  beforeAll(async () => {
    artifacts = await startArtifacts(
      {
        name: 'artifacts-int',
        modules: () => [ArtifactsModule],
        relays: ['artifacts'],
        subscriptions: (app) => {
          (globalThis as { __collector?: BlobCollector }).__collector = app.get(BlobCollector);
          return artifactsSubscriptions(app);
        },
        probes: (runtime) => artifactsReadinessProbes(runtime),
      },
      (home) => {
        blobRoot = path.join(home, 'artifacts');
        return { CAIRN_ARTIFACT_ROOT: `file://${blobRoot}` };
      },
    );
    ({ service, sql } = artifacts);
  }, 60_000);

  afterAll(() => artifacts?.stop());

  it('reports the blob store in readiness', async () => {
    const ready = await rawRequest(service.url, 'GET', '/health/ready');
    expect(ready.json()).toMatchObject({ details: { blob_store: { status: 'up' } } });
  });

  it('uploads, lists (basenames, dirs without size) and downloads with length, type and attachment headers', async () => {
    expect((await put('report.html', '<h1>hi</h1>', 'text/html')).json()).toEqual({});
    expect((await put('model/MLmodel', 'flavors: {}\n', 'text/plain')).status).toBe(200);
    // A JSON artifact must be stored byte for byte, not parsed by the JSON body parser.
    const example = '{"inputs": [[1, 2, 3]]}  ';
    expect((await put('model/input_example.json', example, 'application/json')).status).toBe(200);

    const root = await rawRequest(service.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=7/${RUN}/artifacts`);
    expect(root.json()).toEqual({
      files: [
        { path: 'model', is_dir: true },
        { path: 'report.html', is_dir: false, file_size: 11 },
      ],
    });
    const model = await rawRequest(service.url, 'GET', `/ajax-api/2.0/mlflow-artifacts/artifacts?path=7%2F${RUN}%2Fartifacts%2Fmodel`);
    expect(model.json<{ files: Array<{ path: string }> }>().files.map((f) => f.path)).toEqual(['MLmodel', 'input_example.json']);
    expect((await rawRequest(service.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=7/${RUN}/artifacts/nothing-here`)).json()).toEqual({});

    const html = await get('report.html');
    expect(html.status).toBe(200);
    expect(html.body.toString()).toBe('<h1>hi</h1>');
    expect(html.headers['content-type']).toBe('text/html');
    expect(html.headers['content-length']).toBe('11');
    expect(html.headers['content-disposition']).toContain('attachment; filename="report.html"');
    expect(html.headers['x-content-type-options']).toBe('nosniff');
    expect((await get('model/input_example.json')).body.toString()).toBe(example);
    expect((await get('model/MLmodel')).headers['content-type']).toBe('text/plain');
  });

  it('serves byte ranges and refuses unsatisfiable ones', async () => {
    await put('digits.txt', '0123456789');
    const part = await get('digits.txt', { range: 'bytes=2-5' });
    expect(part.status).toBe(206);
    expect(part.body.toString()).toBe('2345');
    expect(part.headers['content-range']).toBe('bytes 2-5/10');
    expect((await get('digits.txt', { range: 'bytes=-3' })).body.toString()).toBe('789');
    const bad = await get('digits.txt', { range: 'bytes=50-' });
    expect(bad.status).toBe(416);
    expect(bad.headers['content-range']).toBe('bytes */10');
  });

  it('answers HEAD from the index (length, ETag, range) without opening the blob', async () => {
    const content = `head-only ${randomUUID()}`;
    await put('head/weights.bin', content);
    // Take the blob away behind the store's back: only a HEAD that never opens it still succeeds.
    const blob = filesUnder(blobRoot)
      .map((f) => path.join(blobRoot, f))
      .find((f) => readFileSync(f, 'utf8') === content);
    expect(blob).toBeDefined();
    rmSync(blob as string);
    try {
      const head = await rawRequest(service.url, 'HEAD', `${ROOT}/head/weights.bin`);
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe(String(content.length));
      expect(head.headers['etag']).toBe(`"${sha(content)}"`);
      expect(head.body.length).toBe(0);
      const partial = await rawRequest(service.url, 'HEAD', `${ROOT}/head/weights.bin`, { headers: { range: 'bytes=0-3' } });
      expect(partial.status).toBe(206);
      expect(partial.headers['content-length']).toBe('4');
      const byRun = await rawRequest(service.url, 'HEAD', `/get-artifact?run_uuid=${RUN}&path=head/weights.bin`);
      expect(byRun.status).toBe(200);
      expect(byRun.headers['content-length']).toBe(String(content.length));
      // The GET does read it, and finds it gone.
      expect((await get('head/weights.bin')).status).toBeGreaterThanOrEqual(400);
    } finally {
      writeFileSync(blob as string, content);
    }
  });

  it('streams an upload larger than the JSON body limit, keeping its exact bytes', async () => {
    const big = Buffer.alloc(12 * 1024 * 1024, 7);
    big.write('start');
    expect((await put('big/model.pkl', big)).status).toBe(200);
    const back = await get('big/model.pkl');
    expect(back.headers['content-length']).toBe(String(big.length));
    expect(sha(back.body)).toBe(sha(big));
  }, 60_000);

  it('stores identical content once, with a reference count, and records the digest in an event', async () => {
    const content = `same content ${randomUUID()}`;
    await put('dedup/a.txt', content);
    await rawRequest(service.url, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/7/${OTHER_RUN}/artifacts/b.txt`, { body: content });
    expect(await count('SELECT ref_count AS n FROM artifacts.objects WHERE digest = $1', [sha(content)])).toBe(2);
    await sweep();
    const blobsWithContent = filesUnder(blobRoot).filter((f) => sha(readFileSync(path.join(blobRoot, f))) === sha(content));
    expect(blobsWithContent).toHaveLength(1);

    const { rows } = await sql.query<{ data: { path: string; digest: string; size: number; deduplicated: boolean } }>(
      `SELECT data FROM artifacts.events WHERE type = 'artifacts.artifact.stored.v1' AND data->>'path' = $1`,
      [`7/${OTHER_RUN}/artifacts/b.txt`],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.data).toMatchObject({ digest: sha(content), size: content.length, deduplicated: true });
  });

  it('lands 16 concurrent uploads into one run, and a retry sent alongside each stays one file', async () => {
    const run = randomUUID().replace(/-/g, '');
    const dir = `/api/2.0/mlflow-artifacts/artifacts/7/${run}/artifacts/burst`;
    const bodies = Array.from({ length: 16 }, (_, i) => `file ${i} ${randomUUID()}`);
    // Each file sent twice at once, as by a client that retried after a timeout: 32 PUTs in flight.
    const responses = await Promise.all([...bodies, ...bodies].map((body, i) => rawRequest(service.url, 'PUT', `${dir}/f${i % 16}.txt`, { body })));
    expect(responses.map((r) => r.status)).toEqual(Array(32).fill(200));

    const listed = await rawRequest(service.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=7/${run}/artifacts/burst`);
    expect(listed.json()).toEqual({
      files: bodies.map((body, i) => ({ path: `f${i}.txt`, is_dir: false, file_size: body.length })).sort((a, b) => (a.path < b.path ? -1 : 1)),
    });
    for (const [i, body] of bodies.entries()) expect((await rawRequest(service.url, 'GET', `${dir}/f${i}.txt`)).body.toString()).toBe(body);
    // One reference per content, one blob per content once the duplicates are swept.
    const refs = await sql.query<{ ref_count: number }>('SELECT ref_count FROM artifacts.objects WHERE digest = ANY($1::text[])', [bodies.map(sha)]);
    expect(refs.rows.map((r) => r.ref_count)).toEqual(Array(16).fill(1));
    await sweep();
    expect(filesUnder(blobRoot).filter((f) => bodies.includes(readFileSync(path.join(blobRoot, f), 'utf8')))).toHaveLength(16);
    // Every upload is in the run's event stream, numbered without gaps; they were committed in fewer
    // transactions than uploads (group commit), not one each behind the run's lock.
    const events = await sql.query<{ aggregate_version: number; tx: string }>(
      `SELECT aggregate_version, xmin::text AS tx FROM artifacts.events WHERE type = 'artifacts.artifact.stored.v1' AND data->>'ownerId' = $1 ORDER BY aggregate_version`,
      [run],
    );
    expect(events.rows.map((r) => r.aggregate_version)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(new Set(events.rows.map((r) => r.tx)).size).toBeLessThan(32);
  });

  it("uploads to other runs complete while one run's lock is held (a long delete or collection); that run's upload follows", async () => {
    const [locked, free] = [randomUUID().replace(/-/g, ''), randomUUID().replace(/-/g, '')];
    const url = (run: string, name: string) => `/api/2.0/mlflow-artifacts/artifacts/7/${run}/artifacts/${name}`;
    // A writer of the locked run (as RunCollection or a delete would) holds its owner lock.
    const holder = new Client({ connectionString: artifacts?.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT pg_advisory_xact_lock(hashtextextended('artifacts:' || $1, 0))`, [locked]);
      const waiting = rawRequest(service.url, 'PUT', url(locked, 'waits.txt'), { body: 'waits' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const others = await Promise.all(Array.from({ length: 4 }, (_, i) => rawRequest(service.url, 'PUT', url(free, `f${i}.txt`), { body: `free ${i}` })));
      expect(others.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(await count(`SELECT count(*) AS n FROM artifacts.files WHERE owner_id = $1`, [locked])).toBe(0);
      await holder.query('COMMIT');
      expect((await waiting).status).toBe(200);
      expect((await rawRequest(service.url, 'GET', url(locked, 'waits.txt'))).body.toString()).toBe('waits');
    } finally {
      await holder.end();
    }
  });

  it('lists a run the way the tracking artifacts/list does (run-relative paths, root_uri)', async () => {
    const listed = await rawRequest(service.url, 'GET', `/api/2.0/cairn/artifacts/list?run_id=${RUN}&path=model`);
    expect(listed.json()).toEqual({
      root_uri: `mlflow-artifacts:/7/${RUN}/artifacts`,
      files: [
        { path: 'model/MLmodel', is_dir: false, file_size: 12 },
        { path: 'model/input_example.json', is_dir: false, file_size: 25 },
      ],
    });
    expect((await rawRequest(service.url, 'GET', `/api/2.0/cairn/artifacts/list?run_id=${RUN}&path=..%2f..`)).status).toBe(400);
    // MLflow's own path answers the same.
    expect((await rawRequest(service.url, 'GET', `/api/2.0/mlflow/artifacts/list?run_id=${RUN}&path=model`)).json()).toEqual(listed.json());
    expect((await rawRequest(service.url, 'GET', `/api/2.0/mlflow/artifacts/list?run_id=${RUN}&path=..%2f..`)).status).toBe(400);
    // MLflow's list_artifacts_impl reads `run_id or run_uuid`; its UI sends run_uuid.
    expect((await rawRequest(service.url, 'GET', `/ajax-api/2.0/mlflow/artifacts/list?run_uuid=${RUN}&path=model`)).json()).toEqual(listed.json());
  });

  it("lists and serves a logged model's files as MLflow 3's logged-models/{id}/artifacts routes do (tracking redirects those here)", async () => {
    const model = `m-${'ab'.repeat(16)}`;
    const base = `/api/2.0/mlflow-artifacts/artifacts/7/models/${model}/artifacts`;
    await rawRequest(service.url, 'PUT', `${base}/MLmodel`, { body: 'flavors: {}\n' });
    await rawRequest(service.url, 'PUT', `${base}/sub/x.json`, { body: '{"a":1}' });
    const routes = `/api/2.0/cairn/artifacts/logged-models/${model}`;
    const rootUri = `mlflow-artifacts:/7/models/${model}/artifacts`;
    // Answers recorded from `mlflow server` 3.18 over the same files (handlers.py _list_logged_model_artifacts_impl).
    expect((await rawRequest(service.url, 'GET', `${routes}/directories`)).json()).toEqual({
      root_uri: rootUri,
      files: [
        { path: 'MLmodel', is_dir: false, file_size: 12 },
        { path: 'sub', is_dir: true },
      ],
    });
    expect((await rawRequest(service.url, 'GET', `${routes}/directories?artifact_directory_path=sub`)).json()).toEqual({
      root_uri: rootUri,
      files: [{ path: 'sub/x.json', is_dir: false, file_size: 7 }],
    });
    expect((await rawRequest(service.url, 'GET', `${routes}/directories?artifact_directory_path=nope`)).json()).toEqual({ root_uri: rootUri });
    expect((await rawRequest(service.url, 'GET', `${routes}/directories?artifact_directory_path=..%2fx`)).status).toBe(400);

    const file = await rawRequest(service.url, 'GET', `${routes}/files?artifact_file_path=sub/x.json`);
    expect([file.status, file.body.toString()]).toEqual([200, '{"a":1}']);
    expect(file.headers['content-disposition']).toContain('attachment');
    const missingParameter = await rawRequest(service.url, 'GET', `${routes}/files`);
    expect([missingParameter.status, missingParameter.json()]).toEqual([
      400,
      { error_code: 'BAD_REQUEST', message: 'Request must include the "artifact_file_path" query parameter.' },
    ]);
    expect((await rawRequest(service.url, 'GET', `${routes}/files?artifact_file_path=nope`)).status).toBe(404);
    expect((await rawRequest(service.url, 'GET', `${routes}/files?artifact_file_path=..%2f..%2fx`)).status).toBe(400);
    expect((await rawRequest(service.url, 'GET', `/api/2.0/cairn/artifacts/logged-models/not-a-model/files?artifact_file_path=a`)).status).toBe(404);
  });

  it('reports usage per run and per experiment (logical vs stored bytes)', async () => {
    const run = await rawRequest(service.url, 'GET', `/api/2.0/cairn/artifacts/usage?run_id=${OTHER_RUN}`);
    expect(run.json()).toMatchObject({ run_id: OTHER_RUN, files: 1 });
    const exp = (await rawRequest(service.url, 'GET', '/api/2.0/cairn/artifacts/usage?experiment_id=7')).json<{
      logical_bytes: number;
      stored_bytes: number;
    }>();
    expect(exp.logical_bytes).toBeGreaterThan(exp.stored_bytes);
    expect((await rawRequest(service.url, 'GET', '/api/2.0/cairn/artifacts/usage')).status).toBe(400);
  });

  it('overwriting and deleting release content; unreferenced blobs are collected', async () => {
    const first = `first ${randomUUID()}`;
    await put('overwrite.txt', first);
    await put('overwrite.txt', 'second');
    expect(await count('SELECT count(*) AS n FROM artifacts.objects WHERE digest = $1', [sha(first)])).toBe(0);
    expect((await get('overwrite.txt')).body.toString()).toBe('second');

    await put('dir/x/1.txt', 'one');
    await put('dir/x/2.txt', 'two');
    expect((await rawRequest(service.url, 'DELETE', `${ROOT}/dir`)).json()).toEqual({});
    expect((await get('dir/x/1.txt')).status).toBe(404);
    expect(await count(`SELECT count(*) AS n FROM artifacts.files WHERE path LIKE $1`, [`7/${RUN}/artifacts/dir/%`])).toBe(0);
    await sweep();
    expect(await count('SELECT count(*) AS n FROM artifacts.blob_garbage')).toBe(0);
    // Every remaining blob is referenced, and every reference has its blob.
    const keys = (await sql.query<{ storage_key: string }>('SELECT storage_key FROM artifacts.objects')).rows.map((r) => r.storage_key).sort();
    expect(filesUnder(blobRoot).sort()).toEqual(keys);
  });

  describe('hostile paths (reliability.md §6.3 B1–B6): 4xx, nothing written, nothing read', () => {
    it.each(HOSTILE_ARTIFACT_PATHS)('%s', async (hostile) => {
      const before = filesUnder(blobRoot).length;
      const rows = await count('SELECT count(*) AS n FROM artifacts.files');
      const events = await count('SELECT count(*) AS n FROM artifacts.events');
      const responses = [
        await rawRequest(service.url, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/${hostile}`, { body: 'pwned' }),
        await rawRequest(service.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts/${hostile}`),
        await rawRequest(service.url, 'DELETE', `/api/2.0/mlflow-artifacts/artifacts/${hostile}`),
        await rawRequest(service.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=${hostile}`),
        await rawRequest(service.url, 'POST', `/api/2.0/mlflow-artifacts/mpu/create/${hostile}`, {
          body: '{"path":"x","num_parts":1}',
          headers: { 'content-type': 'application/json' },
        }),
        await rawRequest(service.url, 'GET', `/get-artifact?run_uuid=${RUN}&path=${hostile}`),
      ];
      for (const response of responses) {
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(response.body.toString()).not.toContain('root:');
      }
      expect(responses[0]?.json()).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
      expect(filesUnder(blobRoot).length).toBe(before);
      expect(await count('SELECT count(*) AS n FROM artifacts.files')).toBe(rows);
      expect(await count('SELECT count(*) AS n FROM artifacts.events')).toBe(events);
    });
  });

  it('answers multipart with the 501 the client falls back on', async () => {
    const response = await rawRequest(service.url, 'POST', `/api/2.0/mlflow-artifacts/mpu/create/7/${RUN}/artifacts/x.bin`, {
      body: JSON.stringify({ path: 'x.bin', num_parts: 2 }),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(501);
    expect(response.json()).toEqual({ error_code: 'NOT_IMPLEMENTED', message: MULTIPART_UNSUPPORTED });
  });

  it('serves the UI routes: get-artifact by run, model-versions/get-artifact by the registry source', async () => {
    await put('model/model.pkl', 'pickle-bytes');
    const byRun = await rawRequest(service.url, 'GET', `/get-artifact?run_uuid=${RUN}&path=model/model.pkl`);
    expect(byRun.body.toString()).toBe('pickle-bytes');
    await service.runtime.bus.publish(topicOf('registry'), [
      envelope('registry', REGISTRY_EVENT_TYPES.modelVersionCreated, 'mid-1', {
        modelId: 'mid-1',
        name: 'churn',
        timestamp: 1,
        version: '1',
        source: `mlflow-artifacts:/7/${RUN}/artifacts/model`,
        runId: RUN,
        runLink: null,
        loggedModelId: null,
        description: null,
        userId: null,
        tags: [],
      }),
    ]);
    const byVersion = await rawRequest(service.url, 'GET', '/model-versions/get-artifact?name=churn&version=1&path=model.pkl');
    expect(byVersion.status).toBe(200);
    expect(byVersion.body.toString()).toBe('pickle-bytes');
    expect((await rawRequest(service.url, 'GET', '/model-versions/get-artifact?name=churn&version=1&path=../../../etc/passwd')).status).toBe(400);
  });

  it('refuses uploads over the experiment quota with 413 RESOURCE_EXHAUSTED and stores nothing', async () => {
    const quotaRun = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const set = await rawRequest(service.url, 'POST', '/api/2.0/cairn/artifacts/quotas', {
      body: JSON.stringify({ experiment_id: '42', max_bytes: 1000 }),
      headers: { 'content-type': 'application/json' },
    });
    expect(set.json()).toEqual({ experiment_id: '42', max_bytes: 1000 });
    const url = (p: string) => `/api/2.0/mlflow-artifacts/artifacts/42/${quotaRun}/artifacts/${p}`;
    expect((await rawRequest(service.url, 'PUT', url('a.bin'), { body: Buffer.alloc(600, 1) })).status).toBe(200);
    const refused = await rawRequest(service.url, 'PUT', url('b.bin'), { body: Buffer.alloc(600, 2) });
    expect(refused.status).toBe(413);
    expect(refused.json()).toMatchObject({ error_code: 'RESOURCE_EXHAUSTED' });
    expect((await rawRequest(service.url, 'GET', url('b.bin'))).status).toBe(404);
    expect((await rawRequest(service.url, 'GET', '/api/2.0/cairn/artifacts/usage?experiment_id=42')).json()).toMatchObject({
      logical_bytes: 600,
      quota_bytes: 1000,
    });
    // Replacing a file counts only the difference.
    expect((await rawRequest(service.url, 'PUT', url('a.bin'), { body: Buffer.alloc(900, 3) })).status).toBe(200);
  });

  it('answers an upload that crosses the quota midway (no Content-Length) with 413, not a dropped connection', async () => {
    const quotaRun = 'abababababababababababababababab';
    await rawRequest(service.url, 'POST', '/api/2.0/cairn/artifacts/quotas', {
      body: JSON.stringify({ experiment_id: '43', max_bytes: 100_000 }),
      headers: { 'content-type': 'application/json' },
    });
    const artifact = `/api/2.0/mlflow-artifacts/artifacts/43/${quotaRun}/artifacts/big.bin`;
    const base = new URL(service.url);
    // Sent chunked, as a client that does not know the size would: the quota is crossed while streaming.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: base.hostname, port: base.port, method: 'PUT', path: artifact, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      let sent = 0;
      const pump = () => {
        while (sent < 1024 * 1024) {
          sent += 16 * 1024;
          if (!req.write(Buffer.alloc(16 * 1024, 5))) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error_code: 'RESOURCE_EXHAUSTED' });
    expect((await rawRequest(service.url, 'GET', artifact)).status).toBe(404);
  });

  it('applies "keep the last N and the best K by metric" as checkpoints are logged', async () => {
    const ckRun = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
    const policy = await rawRequest(service.url, 'POST', '/api/2.0/cairn/artifacts/retention-policies', {
      body: JSON.stringify({ experiment_id: '9', prefix: 'checkpoints', keep_last: 2, keep_best: 1, metric_key: 'val_loss', metric_goal: 'min' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(policy.status).toBe(200);
    expect(policy.json()).toMatchObject({ policy: { prefix: 'checkpoints/', keep_last: 2, keep_best: 1, metric_key: 'val_loss', metric_goal: 'min' } });
    // Metrics arrive from tracking's events (no synchronous call): epoch 2 is the best.
    const losses = [0.9, 0.5, 0.2, 0.6, 0.7, 0.8];
    await service.runtime.bus.publish(topicOf('tracking'), [
      envelope('tracking', TRACKING_EVENT_TYPES.metricsLogged, ckRun, {
        runId: ckRun,
        metrics: losses.map((value, step) => ({ key: 'val_loss', value, step, timestamp: 1000 + step })),
      }),
    ]);
    const url = (p: string) => `/api/2.0/mlflow-artifacts/artifacts/9/${ckRun}/artifacts/${p}`;
    for (let epoch = 0; epoch < losses.length; epoch++) {
      expect((await rawRequest(service.url, 'PUT', url(`checkpoints/epoch_${epoch}/model.ckpt`), { body: `weights ${epoch}` })).status).toBe(200);
      expect((await rawRequest(service.url, 'PUT', url(`checkpoints/epoch_${epoch}/optimizer.pt`), { body: `optimizer ${epoch}` })).status).toBe(200);
    }
    await rawRequest(service.url, 'PUT', url('metrics.json'), { body: '{}' });
    const listed = await rawRequest(service.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=9/${ckRun}/artifacts/checkpoints`);
    expect(listed.json<{ files: Array<{ path: string }> }>().files.map((f) => f.path)).toEqual(['epoch_2', 'epoch_4', 'epoch_5']);
    expect((await rawRequest(service.url, 'GET', url('metrics.json'))).status).toBe(200);
    const deleted = await count(
      `SELECT count(*) AS n FROM artifacts.events WHERE type = 'artifacts.artifact.deleted.v1' AND data->>'reason' = 'retention' AND data->>'ownerId' = $1`,
      [ckRun],
    );
    expect(deleted).toBe(6);
  });

  it('decides checkpoints kept for an unknown metric once the tracking metrics arrive', async () => {
    const lateRun = 'dddddddddddddddddddddddddddddddd';
    await rawRequest(service.url, 'POST', '/api/2.0/cairn/artifacts/retention-policies', {
      body: JSON.stringify({ experiment_id: '11', prefix: 'ckpt/', keep_last: 1, keep_best: 1, metric_key: 'acc' }),
      headers: { 'content-type': 'application/json' },
    });
    const url = (p: string) => `/api/2.0/mlflow-artifacts/artifacts/11/${lateRun}/artifacts/${p}`;
    for (const step of [1, 2, 3]) await rawRequest(service.url, 'PUT', url(`ckpt/step_${step}.pt`), { body: `w${step}` });
    const names = async () =>
      (await rawRequest(service.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=11/${lateRun}/artifacts/ckpt`))
        .json<{ files: Array<{ path: string }> }>()
        .files.map((f) => f.path);
    expect(await names()).toEqual(['step_1.pt', 'step_2.pt', 'step_3.pt']);
    await service.runtime.bus.publish(topicOf('tracking'), [
      envelope('tracking', TRACKING_EVENT_TYPES.metricsLogged, lateRun, {
        runId: lateRun,
        metrics: [0.9, 0.5, 0.7].map((value, i) => ({ key: 'acc', value, step: i + 1, timestamp: 1 })),
      }),
    ]);
    expect(await names()).toEqual(['step_1.pt', 'step_3.pt']);
  });

  it('finds blobs no row knows (a crash between write and commit) and collects them, sparing referenced ones', async () => {
    const raw = new FilesystemBlobStore(blobRoot);
    await raw.put('objects/2020-01/orphan-from-a-crash', Readable.from([Buffer.from('orphan')]));
    const referenced = (await sql.query<{ storage_key: string }>('SELECT storage_key FROM artifacts.objects')).rows.map((r) => r.storage_key);
    const collector = (globalThis as { __collector?: BlobCollector }).__collector;
    expect(await collector?.scanOrphans(Date.now(), 60 * 60_000)).toEqual([]); // too recent: could be an upload about to commit
    expect(await collector?.scanOrphans(Date.now() + 2 * 60 * 60_000)).toEqual(['objects/2020-01/orphan-from-a-crash']);
    await sweep();
    expect(await raw.head('objects/2020-01/orphan-from-a-crash')).toBeUndefined();
    for (const key of referenced) expect(await raw.head(key)).toBeDefined();
  });

  it('collects a purged run, unless a model version references it; then when the last one goes', async () => {
    const kept = RUN; // referenced by churn v1 (previous test)
    const free = 'cccccccccccccccccccccccccccccccc';
    await rawRequest(service.url, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/7/${free}/artifacts/only-here.txt`, { body: `unique ${randomUUID()}` });

    await service.runtime.bus.publish(topicOf('tracking'), [
      envelope('tracking', TRACKING_EVENT_TYPES.runPurged, free, { runId: free, experimentId: '7', deletedTime: 1 }),
    ]);
    expect(await count('SELECT count(*) AS n FROM artifacts.files WHERE owner_id = $1', [free])).toBe(0);
    expect((await rawRequest(service.url, 'GET', '/api/2.0/cairn/artifacts/usage?run_id=' + free)).json()).toMatchObject({ files: 0 });

    const purgeKept = envelope('tracking', TRACKING_EVENT_TYPES.runPurged, kept, { runId: kept, experimentId: '7', deletedTime: 1 });
    await service.runtime.bus.publish(topicOf('tracking'), [purgeKept]);
    expect(await count('SELECT count(*) AS n FROM artifacts.files WHERE owner_id = $1', [kept])).toBeGreaterThan(0);
    expect(await count(`SELECT count(*) AS n FROM artifacts.purged_runs WHERE run_id = $1 AND state = 'deferred'`, [kept])).toBe(1);
    // Redelivery of the same purge is a no-op (inbox).
    await service.runtime.bus.publish(topicOf('tracking'), [purgeKept]);

    await service.runtime.bus.publish(topicOf('registry'), [
      envelope('registry', REGISTRY_EVENT_TYPES.modelVersionDeleted, 'mid-1', {
        modelId: 'mid-1',
        name: 'churn',
        timestamp: 2,
        version: '1',
        stage: 'None',
        runId: kept,
        loggedModelId: null,
        aliasesRemoved: [],
      }),
    ]);
    expect(await count('SELECT count(*) AS n FROM artifacts.files WHERE owner_id = $1', [kept])).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM artifacts.events WHERE type = 'artifacts.run.collected.v1' AND aggregate_id IN ($1, $2)`, [kept, free])).toBe(
      2,
    );
    await sweep();
    const keys = (await sql.query<{ storage_key: string }>('SELECT storage_key FROM artifacts.objects')).rows.map((r) => r.storage_key).sort();
    expect(filesUnder(blobRoot).sort()).toEqual(keys);
  });
});

describe('artifacts context when S3 is out of space (a stand-in refusing writes as MinIO does)', () => {
  let artifacts: Awaited<ReturnType<typeof startArtifacts>> | undefined;
  let service: RunningService;
  let sql: Client;
  let s3: { url: URL; close(): Promise<void> } | undefined;
  let refusedWrites = 0;
  const count = async (query: string) => Number((await sql.query<{ n: string }>(query)).rows[0]?.n);

  beforeAll(async () => {
    const refuse = (res: ServerResponse) => {
      refusedWrites += 1;
      res.writeHead(507, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>XMinioStorageFull</Code><Message>Storage backend has reached its minimum free drive threshold.</Message></Error>',
      );
    };
    const server = createServer((req, res) => {
      // The bucket checks at boot and readiness pass; object writes are refused.
      if (req.method === 'HEAD' || req.method === 'GET') return void res.writeHead(200).end();
      refuse(res);
    });
    // MinIO refuses a PUT that asks for 100 Continue before any of its body is sent.
    server.on('checkContinue', (_req, res) => refuse(res));
    const store = await listenAsS3(server);
    s3 = store;
    artifacts = await startArtifacts(
      { name: 'artifacts-full-int', modules: () => [ArtifactsModule], relays: ['artifacts'], subscriptions: (app) => artifactsSubscriptions(app) },
      () => ({
        CAIRN_ARTIFACT_ROOT: 's3://full-bucket/artifacts',
        CAIRN_S3_ENDPOINT: store.url.origin,
        CAIRN_S3_ACCESS_KEY: 'stand-in',
        CAIRN_S3_SECRET_KEY: 'stand-in-secret',
      }),
    );
    ({ service, sql } = artifacts);
  }, 60_000);

  afterAll(async () => {
    await artifacts?.stop();
    await s3?.close();
  });

  // 507 rather than 500: the mlflow client retries 500–504, resending the whole artifact each time
  // to a store that cannot take it.
  it.each([
    ['streamed in one PUT (announced size, 12 MiB)', 12 * 1024 * 1024],
    ['sent through the minio client (4 KiB)', 4 * 1024],
  ])('answers 507 RESOURCE_EXHAUSTED for an upload %s, and records nothing', async (_how, size) => {
    const before = refusedWrites;
    const response = await rawRequest(service.url, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/7/${RUN}/artifacts/model-${size}.pkl`, {
      body: Buffer.alloc(size, 1),
    });
    expect(response.status).toBe(507);
    expect(response.json()).toEqual({
      error_code: 'RESOURCE_EXHAUSTED',
      message: expect.stringMatching(/^Artifact storage is full: the artifact was not stored/),
    });
    expect(response.json<{ message: string }>().message).not.toMatch(/full-bucket|127\.0\.0\.1/);
    expect(refusedWrites).toBeGreaterThan(before);
    expect(await count('SELECT count(*) AS n FROM artifacts.files')).toBe(0);
    expect(await count('SELECT count(*) AS n FROM artifacts.objects')).toBe(0);
    expect((await rawRequest(service.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=7/${RUN}/artifacts`)).json()).toEqual({});
  });
});
