import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type StartedServer } from '@cairn/testing';

// The newcomer's path: no services at all, `npm start` brings up an embedded Postgres under CAIRN_HOME.
describe('embedded mode (no CAIRN_DATABASE_URL)', () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'cairn-embedded-'));
  let server: StartedServer | undefined;
  const running = (): StartedServer => {
    if (server === undefined) throw new Error('the server is not running');
    return server;
  };

  afterAll(async () => {
    await server?.stop();
    // As root the data of this 700 temporary home lives outside it, linked from it (embedded-root-home.e2e.spec.ts).
    const link = path.join(home, 'postgres');
    if (lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) rmSync(readlinkSync(link), { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  const postmasterPid = () => {
    const pidFile = path.join(home, 'postgres', 'postmaster.pid');
    return existsSync(pidFile) ? Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10) : undefined;
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('starts with its own Postgres and answers /health and /health/ready', async () => {
    server = await startServer({ embedded: true, home, timeoutMs: 90_000 });
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', details: { database: { status: 'up' } } });
    expect(postmasterPid()).toBeDefined();
  }, 120_000);

  it('keeps data across a restart', async () => {
    const name = `kept-across-restart-${Date.now()}`;
    const created = await fetch(`${running().url}/api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    expect(created.status).toBe(200);
    const { experiment_id } = (await created.json()) as { experiment_id: string };

    await running().stop();
    server = await startServer({ embedded: true, home, timeoutMs: 90_000 });
    const fetched = await fetch(`${server.url}/api/2.0/mlflow/experiments/get?experiment_id=${experiment_id}`);
    expect(fetched.status).toBe(200);
    expect(((await fetched.json()) as { experiment: { name: string } }).experiment.name).toBe(name);
  }, 180_000);

  it('refuses a second server on the same CAIRN_HOME with a clear error and leaves the first running', async () => {
    await expect(startServer({ embedded: true, home, timeoutMs: 60_000 })).rejects.toThrow(/already using CAIRN_HOME/);
    expect((await fetch(`${running().url}/health/ready`)).status).toBe(200);
  }, 90_000);

  it('stops the embedded Postgres on SIGTERM', async () => {
    const pid = postmasterPid() ?? Number.NaN;
    expect(Number.isInteger(pid)).toBe(true);
    await running().stop();
    server = undefined;
    expect(alive(pid)).toBe(false);
    expect(existsSync(path.join(home, 'server.lock'))).toBe(false);
  }, 60_000);
});
