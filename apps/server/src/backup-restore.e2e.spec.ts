import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findUp } from '@cairn/platform';
import { runMlflowClient, startServer, type StartedServer } from '@cairn/testing';

const repoRoot = path.dirname(findUp('package.json'));
const SCRIPT = path.join(repoRoot, 'apps', 'server', 'e2e', 'backup_restore.py');
const CLI = path.join(repoRoot, 'dist', 'apps', 'cli', 'src', 'main.js');

/** `cairn <args>` on the home given, as an operator runs it beside the server. */
function cairn(home: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: repoRoot, env: { PATH: process.env['PATH'] ?? '', HOME: os.tmpdir(), CAIRN_HOME: home }, timeout: 180_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function mlflow(server: StartedServer, mode: string): Promise<unknown> {
  const result = await runMlflowClient(3, SCRIPT, [mode], { MLFLOW_TRACKING_URI: server.url });
  if (result.code !== 0) throw new Error(`backup_restore.py ${mode} exited ${String(result.code)}:\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop() ?? '');
}

/** As root the embedded data of a 700 temporary home lives outside it, linked from it: remove both. */
function removeHome(home: string) {
  const link = path.join(home, 'postgres');
  if (lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) rmSync(readlinkSync(link), { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
}

// docs/operations.md "Backup and restore", embedded mode: `cairn backup` while the server serves,
// `cairn restore` into a fresh home, and everything a user reads back is there.
describe('backup and restore of an embedded installation', () => {
  const original = mkdtempSync(path.join(os.tmpdir(), 'cairn-backup-original-'));
  const restored = mkdtempSync(path.join(os.tmpdir(), 'cairn-backup-restored-'));
  const backup = path.join(mkdtempSync(path.join(os.tmpdir(), 'cairn-backup-')), 'backup');
  let server: StartedServer | undefined;

  afterAll(async () => {
    await server?.stop();
    removeHome(original);
    removeHome(restored);
    rmSync(path.dirname(backup), { recursive: true, force: true });
  }, 60_000);

  it('restores every run, metric history, artifact and model version into a fresh instance, which then works', async () => {
    server = await startServer({ embedded: true, home: original, timeoutMs: 90_000 });
    await mlflow(server, 'populate');
    const before = (await mlflow(server, 'snapshot')) as { runs: unknown[]; model_versions: unknown[] };
    expect(before.runs).toHaveLength(3);
    expect(before.model_versions).toHaveLength(2);

    // While the server runs.
    const backedUp = await cairn(original, 'backup', backup, '--json');
    expect(backedUp.stderr).toMatch(/referenced blobs all present/);
    expect(backedUp.code).toBe(0);
    const manifest = JSON.parse(backedUp.stdout) as { blobs: number; tables: Array<{ table: string; rows: number }> };
    expect(manifest.blobs).toBeGreaterThan(0);
    expect(manifest.tables.find((t) => t.table === 'tracking.runs')?.rows).toBe(3);
    expect(JSON.parse(readFileSync(path.join(backup, 'manifest.json'), 'utf8'))).toMatchObject({ format: 'cairn-home-backup/1' });
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    await server.stop();
    server = undefined;

    const restoredRun = await cairn(restored, 'restore', backup);
    expect(restoredRun.code).toBe(0);
    // A second restore into a home that now has a database is refused.
    expect((await cairn(restored, 'restore', backup)).stderr).toMatch(/already has a database/);

    server = await startServer({ embedded: true, home: restored, timeoutMs: 90_000 });
    expect(await mlflow(server, 'snapshot')).toEqual(before);
    const written = (await mlflow(server, 'write')) as { metrics: unknown; artifact: string; versions: number[] };
    expect(written).toEqual({ metrics: { m: 1.5 }, artifact: 'written after the restore', versions: [1, 2, 3] });
    expect(existsSync(path.join(restored, 'artifacts'))).toBe(true);
  }, 600_000);
});
