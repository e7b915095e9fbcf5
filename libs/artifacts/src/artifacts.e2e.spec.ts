import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { removeTestBucket, runMlflowClient, startServer, testEndpoints, type StartedServer } from '@cairn/testing';
import { HOSTILE_ARTIFACT_PATHS, rawRequest } from './testing/http';

const scenario = path.join(__dirname, '..', 'e2e', 'artifacts_scenario.py');
const RUN = '0123456789abcdef0123456789abcdef';

async function runScenario(server: StartedServer, major: 2 | 3, args: string[] = [], env: Record<string, string> = {}) {
  const result = await runMlflowClient(major, scenario, args, { MLFLOW_TRACKING_URI: server.url, ...env });
  if (result.code !== 0)
    throw new Error(`scenario failed (mlflow ${major}.x):\n${result.stdout}\n${result.stderr}\n--- server ---\n${server.output().slice(-4000)}`);
  expect(result.stdout).toContain('ARTIFACTS SCENARIO OK');
}

const MiB = 1024 * 1024;

/** Resident memory of a process in MiB, from /proc (Linux). */
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/**
 * Streams `size` random bytes to the server as one PUT while sampling the server's RSS, then reads
 * the artifact back and compares digests. Returns the largest RSS growth seen during the upload.
 * `announced: false` sends the body chunked, without a Content-Length.
 */
async function uploadWatchingMemory(server: StartedServer, size: number, { announced = true } = {}): Promise<number> {
  const pid = server.process.pid ?? 0;
  const base = rssOf(pid);
  let max = base;
  const timer = setInterval(() => (max = Math.max(max, rssOf(pid))), 25);
  const url = new URL(server.url);
  const artifact = `/api/2.0/mlflow-artifacts/artifacts/1/${RUN}/artifacts/big/model.bin`;
  const sent = createHash('sha256');
  try {
    await new Promise<void>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, method: 'PUT', path: artifact, headers: announced ? { 'content-length': String(size) } : {} },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`upload answered ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      const chunk = randomBytes(MiB);
      let written = 0;
      const pump = () => {
        while (written < size) {
          const piece = chunk.subarray(0, Math.min(MiB, size - written));
          written += piece.length;
          sent.update(piece);
          if (!req.write(piece)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
  } finally {
    clearInterval(timer);
  }
  const received = createHash('sha256');
  const response = await fetch(`${server.url}${artifact}`);
  expect(response.headers.get('content-length')).toBe(String(size));
  for await (const piece of response.body as unknown as AsyncIterable<Uint8Array>) received.update(piece);
  expect(received.digest('hex')).toBe(sent.digest('hex'));
  return max - base;
}

describe('artifact proxy on the all-in-one server (filesystem root)', () => {
  let server: StartedServer;

  beforeAll(async () => {
    server = await startServer({ app: 'server' });
  }, 120_000);
  afterAll(() => server?.stop());

  it.each([3, 2] as const)(
    'the real mlflow %i.x client: log_artifact(s), list, download, sklearn log_model + load_model by run, version and alias',
    async (major) => {
      await runScenario(server, major, [], { CAIRN_E2E_REGISTRY: '1' });
    },
    300_000,
  );

  it('hostile paths over raw HTTP: 4xx on every route, nothing read outside the root, nothing written', async () => {
    // A secret next to the artifact root: every traversal below aims at it.
    writeFileSync(path.join(server.home, 'secret.txt'), 'TOP-SECRET');
    const before = readdirSync(server.home, { recursive: true, encoding: 'utf8' }).length;
    const targets = [
      ...HOSTILE_ARTIFACT_PATHS,
      '..%2fsecret.txt',
      '..%252fsecret.txt',
      `1/${RUN}/artifacts/..%2f..%2f..%2f..%2fsecret.txt`,
      '%2e%2e/secret.txt',
    ];
    for (const hostile of targets) {
      const responses = await Promise.all([
        rawRequest(server.url, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/${hostile}`, { body: 'pwned' }),
        rawRequest(server.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts/${hostile}`),
        rawRequest(server.url, 'GET', `/ajax-api/2.0/mlflow-artifacts/artifacts/${hostile}`),
        rawRequest(server.url, 'DELETE', `/api/2.0/mlflow-artifacts/artifacts/${hostile}`),
        rawRequest(server.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=${hostile}`),
        rawRequest(server.url, 'POST', `/api/2.0/mlflow-artifacts/mpu/complete/${hostile}`, { body: '{}', headers: { 'content-type': 'application/json' } }),
        rawRequest(server.url, 'GET', `/get-artifact?run_uuid=${RUN}&path=${hostile}`),
      ]);
      for (const response of responses) {
        expect({ hostile, status: response.status >= 400 && response.status < 500 }).toEqual({ hostile, status: true });
        expect(response.body.toString()).not.toContain('TOP-SECRET');
      }
    }
    expect(readdirSync(server.home, { recursive: true, encoding: 'utf8' }).length).toBe(before);
    expect(existsSync(path.join(server.home, 'pwned'))).toBe(false);
  }, 60_000);

  it('streams a 512 MiB upload and download with bounded server memory (< 64 MiB growth)', async () => {
    expect(await uploadWatchingMemory(server, 512 * MiB)).toBeLessThan(64);
  }, 180_000);
});

describe('artifact proxy on the all-in-one server (S3 root on MinIO)', () => {
  let server: StartedServer;
  const bucket = `cairn-e2e-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    const s3 = testEndpoints.s3();
    server = await startServer({
      app: 'server',
      env: {
        CAIRN_ARTIFACT_ROOT: `s3://${bucket}/artifacts`,
        CAIRN_S3_ENDPOINT: s3.endpoint,
        CAIRN_S3_ACCESS_KEY: s3.accessKey,
        CAIRN_S3_SECRET_KEY: s3.secretKey,
      },
    });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await removeTestBucket(bucket);
  }, 60_000);

  it('the real mlflow 3.x client round-trips artifacts and a model through MinIO', async () => {
    await runScenario(server, 3);
  }, 300_000);

  it('the real mlflow 2.x client round-trips artifacts through MinIO', async () => {
    await runScenario(server, 2, ['--skip-model']);
  }, 300_000);

  it('streams a 512 MiB upload (one PUT to MinIO as it arrives) and download with bounded server memory (< 64 MiB growth)', async () => {
    expect(await uploadWatchingMemory(server, 512 * MiB)).toBeLessThan(64);
  }, 300_000);

  it('streams a 512 MiB upload of unannounced size (multipart to MinIO) with bounded server memory (< 64 MiB growth)', async () => {
    expect(await uploadWatchingMemory(server, 512 * MiB, { announced: false })).toBeLessThan(64);
  }, 300_000);

  it('answers a byte range from MinIO with 206, Content-Range, ETag and type, and a missing artifact in MLflow shape', async () => {
    const artifact = `${server.url}/api/2.0/mlflow-artifacts/artifacts/1/${RUN}/artifacts/ranged/notes.txt`;
    const body = 'abcdefghijklmnopqrstuvwxyz';
    expect((await fetch(artifact, { method: 'PUT', body })).status).toBe(200);
    const ranged = await fetch(artifact, { headers: { range: 'bytes=2-5' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe('bytes 2-5/26');
    expect(ranged.headers.get('etag')).toBe(`"${createHash('sha256').update(body).digest('hex')}"`);
    expect(ranged.headers.get('content-type')).toBe('text/plain');
    expect(await ranged.text()).toBe('cdef');
    const missing = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/1/${RUN}/artifacts/ranged/absent.txt`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: expect.any(String) });
  });
});
