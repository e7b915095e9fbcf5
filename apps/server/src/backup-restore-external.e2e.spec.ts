import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client as Minio } from 'minio';
import { findUp } from '@cairn/platform';
import {
  removeTestBucket,
  runMlflowClient,
  startPrivateMinio,
  startPrivatePostgres,
  startServer,
  testEndpoints,
  type PrivateMinio,
  type PrivatePostgres,
  type StartedServer,
} from '@cairn/testing';

const repoRoot = path.dirname(findUp('package.json'));
const SCRIPT = path.join(repoRoot, 'apps', 'server', 'e2e', 'backup_restore.py');
const CLI = path.join(repoRoot, 'dist', 'apps', 'cli', 'src', 'main.js');

interface S3 {
  endpoint: string;
  accessKey: string;
  secretKey: string;
}
const minioOf = ({ endpoint, accessKey, secretKey }: S3) => {
  const url = new URL(endpoint);
  return new Minio({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey, secretKey, pathStyle: true });
};
const s3Env = (bucket: string, s3: S3) => ({
  CAIRN_ARTIFACT_ROOT: `s3://${bucket}/artifacts`,
  CAIRN_S3_ENDPOINT: s3.endpoint,
  CAIRN_S3_ACCESS_KEY: s3.accessKey,
  CAIRN_S3_SECRET_KEY: s3.secretKey,
});

/** `cairn backup|restore` as an operator runs it beside the services: the same settings, and no CAIRN_HOME of its own. */
function cairn(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: repoRoot, env: { PATH: process.env['PATH'] ?? '', HOME: os.tmpdir(), ...env }, timeout: 180_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function mlflow(server: StartedServer, mode: string): Promise<unknown> {
  const result = await runMlflowClient(3, SCRIPT, [mode], { MLFLOW_TRACKING_URI: server.url });
  if (result.code !== 0) throw new Error(`backup_restore.py ${mode} exited ${String(result.code)}:\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop() ?? '');
}

// docs/operations.md "Backup and restore", external Postgres and object store: the database first
// (`cairn backup` with CAIRN_DATABASE_URL: one REPEATABLE READ snapshot), then the bucket, copied
// without deletions; restored into a fresh instance (a private Postgres and a private MinIO): the
// blobs first, then the database, then Cairn started on it. The all-in-one server pointed at external
// Postgres and S3 runs the same code paths as the services (the distributed topology is not started:
// too slow for what it would add here).
describe('backup and restore with an external Postgres and object store', () => {
  const bucket = `backup-${randomBytes(4).toString('hex')}`;
  const work = mkdtempSync(path.join(os.tmpdir(), 'cairn-external-backup-'));
  const backup = path.join(work, 'backup');
  const blobCopy = path.join(work, 'bucket');
  let server: StartedServer | undefined;
  let freshPostgres: PrivatePostgres | undefined;
  let freshMinio: PrivateMinio | undefined;

  afterAll(async () => {
    await server?.stop();
    await Promise.all([freshPostgres?.destroy(), freshMinio?.destroy()]);
    await removeTestBucket(bucket).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('restores every run, metric history, artifact and model version into a fresh Postgres and bucket, which then work', async () => {
    const shared = testEndpoints.s3();
    await minioOf(shared).makeBucket(bucket, 'us-east-1');
    server = await startServer({ env: s3Env(bucket, shared), timeoutMs: 90_000 });
    await mlflow(server, 'populate');
    const before = (await mlflow(server, 'snapshot')) as { runs: unknown[]; model_versions: unknown[] };
    expect(before.runs).toHaveLength(3);
    expect(before.model_versions).toHaveLength(2);

    // 1. The database, while the server serves.
    const backedUp = await cairn({ CAIRN_DATABASE_URL: server.databaseUrl, ...s3Env(bucket, shared) }, 'backup', backup, '--json');
    expect({ code: backedUp.code, stderr: backedUp.stderr }).toEqual({ code: 0, stderr: expect.stringMatching(/copy the bucket now, after this backup/) });
    const manifest = JSON.parse(backedUp.stdout) as { blobs: number; tables: Array<{ table: string; rows: number }> };
    expect(manifest.tables.find((t) => t.table === 'tracking.runs')?.rows).toBe(3);
    const referenced = readFileSync(path.join(backup, 'blob-keys.txt'), 'utf8').split('\n').filter(Boolean);
    expect(referenced).toHaveLength(manifest.blobs);
    expect(referenced.length).toBeGreaterThan(0);

    // 2. Then the bucket (as `aws s3 sync` without --delete would), and check it holds every referenced blob.
    const source = minioOf(shared);
    const copied: string[] = [];
    for await (const item of source.listObjectsV2(bucket, '', true) as AsyncIterable<{ name?: string }>) {
      if (item.name === undefined) continue;
      mkdirSync(path.dirname(path.join(blobCopy, item.name)), { recursive: true });
      await pipeline(await source.getObject(bucket, item.name), createWriteStream(path.join(blobCopy, item.name)));
      copied.push(item.name);
    }
    expect(referenced.filter((key) => !copied.includes(`artifacts/${key}`))).toEqual([]);
    await server.stop(); // drops the original database: the backup is all there is
    server = undefined;

    // 3. A fresh instance: blobs first, then the database.
    [freshPostgres, freshMinio] = await Promise.all([startPrivatePostgres(), startPrivateMinio()]);
    const fresh = minioOf(freshMinio);
    await fresh.makeBucket(bucket, 'us-east-1');
    for (const name of copied) await fresh.fPutObject(bucket, name, path.join(blobCopy, name));
    const restoreEnv = { CAIRN_DATABASE_URL: freshPostgres.url, ...s3Env(bucket, freshMinio) };
    const restored = await cairn(restoreEnv, 'restore', backup);
    expect({ code: restored.code, stderr: restored.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('restored') });
    // A second restore into a database that now holds Cairn's tables is refused.
    expect((await cairn(restoreEnv, 'restore', backup)).stderr).toMatch(/already holds Cairn tables/);

    server = await startServer({ database: { url: freshPostgres.url }, env: s3Env(bucket, freshMinio), timeoutMs: 90_000 });
    expect(await mlflow(server, 'snapshot')).toEqual(before);
    const written = (await mlflow(server, 'write')) as { metrics: unknown; artifact: string; versions: number[] };
    expect(written).toEqual({ metrics: { m: 1.5 }, artifact: 'written after the restore', versions: [1, 2, 3] });
  }, 600_000);
});
