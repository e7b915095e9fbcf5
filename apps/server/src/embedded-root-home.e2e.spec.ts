import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type StartedServer } from '@cairn/testing';

// As root, Postgres runs as the OS user postgres, which cannot pass through a home of mode 700
// (/root). `npm start` used to chmod the home to 701 for it; now the data goes to /var/lib/cairn,
// linked from CAIRN_HOME, and the home keeps its mode. Only root can see either behaviour.
const asRoot = os.userInfo().uid === 0;

(asRoot ? describe : describe.skip)('embedded mode as root, with a home the postgres OS user cannot reach', () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'cairn-root-home-'));
  const cairnHome = path.join(home, '.cairn');
  const link = path.join(cairnHome, 'postgres');
  let server: StartedServer | undefined;

  beforeAll(() => {
    chmodSync(home, 0o700);
    mkdirSync(cairnHome);
  });

  afterAll(async () => {
    await server?.stop();
    if (lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) rmSync(readlinkSync(link), { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  const start = () => startServer({ embedded: true, home: cairnHome, env: { HOME: home, CAIRN_LOG_LEVEL: 'info' }, timeoutMs: 90_000 });

  it('starts, leaves the home at mode 700, and keeps the data outside it, linked from CAIRN_HOME, across a restart', async () => {
    server = await start();
    expect(statSync(home).mode & 0o7777).toBe(0o700);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const dataDir = readlinkSync(link);
    expect(dataDir.startsWith('/var/lib/cairn/')).toBe(true);
    expect(statSync(dataDir).uid).toBe(Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })));
    expect(server.output()).toContain(`keeps its data in ${dataDir}`);

    const created = await fetch(`${server.url}/api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'kept-outside-the-home' }),
    });
    expect(created.status).toBe(200);
    const { experiment_id } = (await created.json()) as { experiment_id: string };

    await server.stop();
    server = await start();
    const fetched = await fetch(`${server.url}/api/2.0/mlflow/experiments/get?experiment_id=${experiment_id}`);
    expect(((await fetched.json()) as { experiment: { name: string } }).experiment.name).toBe('kept-outside-the-home');
    expect(readlinkSync(link)).toBe(dataDir);
    expect(statSync(home).mode & 0o7777).toBe(0o700);
  }, 240_000);
});
