import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, ensureBuilt, startServer, trackChildProcess, type StartedServer, type TestDatabase } from '@cairn/testing';

// An upgrade as the chart runs it (ADR 0011): the previous release serves, under load, while this
// release's migration Job applies the new migrations; then this release starts on the same data.
// "The previous release" is the code just before the newest migration was added: the code that
// migration must not break. It is built from its own commit (`git archive`, `tools/build.mjs`).

const root = path.resolve(__dirname, '..', '..');
const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();

const newestMigration =
  readdirSync(path.join(root, 'prisma', 'migrations'))
    .filter((name) => /^\d{4}_/.test(name))
    .sort()
    .at(-1) ?? '';
const api = (server: StartedServer, route: string) => `${server.url}/api/2.0/mlflow/${route}`;

let scratch: string;
let db: TestDatabase | undefined;

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cairn-previous-release-'));
  // Along main's first parents, with merges diffed against them: a migration that arrived in a merge
  // (or was renamed there) is added by that merge, and its first parent is the release before it.
  const added = git('log', '-1', '--first-parent', '-m', '--diff-filter=A', '--format=%H', '--', `prisma/migrations/${newestMigration}/migration.sql`);
  if (added === '') throw new Error(`no commit adds prisma/migrations/${newestMigration}: this test needs the repository's history`);
  execFileSync('bash', ['-c', 'git archive --format=tar "$1^" | tar -x -C "$2"', '_', added, scratch], { cwd: root });
  symlinkSync(realpathSync(path.join(root, 'node_modules')), path.join(scratch, 'node_modules'));
  execFileSync(process.execPath, [path.join(scratch, 'tools', 'build.mjs')], { cwd: scratch, stdio: ['ignore', 'ignore', 'inherit'] });
  ensureBuilt();
});

afterAll(async () => {
  await db?.drop();
  rmSync(scratch, { recursive: true, force: true });
});

async function post<T>(server: StartedServer, route: string, body: unknown): Promise<T> {
  const response = await fetch(api(server, route), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${route}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** One client of the previous release: a run with metrics, its history read back, a search; repeated until told to stop. */
async function client(server: StartedServer, experimentId: string, stop: () => boolean, failures: string[]): Promise<number> {
  let requests = 0;
  while (!stop()) {
    try {
      const { run } = await post<{ run: { info: { run_id: string } } }>(server, 'runs/create', { experiment_id: experimentId, start_time: Date.now() });
      const runId = run.info.run_id;
      const metrics = Array.from({ length: 50 }, (_, step) => ({ key: 'loss', value: 1 / (step + 1), timestamp: Date.now(), step }));
      await post(server, 'runs/log-batch', { run_id: runId, metrics, params: [{ key: 'lr', value: '0.1' }] });
      const history = await fetch(`${api(server, 'metrics/get-history')}?run_id=${runId}&metric_key=loss`);
      if (!history.ok) throw new Error(`metrics/get-history: ${history.status}`);
      const points = ((await history.json()) as { metrics: unknown[] }).metrics.length;
      if (points !== 50) throw new Error(`metrics/get-history: ${points} points, not 50`);
      await post(server, 'runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() });
      await post(server, 'runs/search', { experiment_ids: [experimentId], max_results: 10 });
      requests += 5;
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  return requests;
}

function runMigrationJob(databaseUrl: string): Promise<{ code: number | null; output: string }> {
  const job = spawn(process.execPath, [path.join(root, 'dist', 'apps', 'migrate-job', 'src', 'main.js')], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', CAIRN_DATABASE_URL: databaseUrl, CAIRN_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChildProcess(job);
  let output = '';
  job.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  job.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => job.once('exit', (code) => resolve({ code, output })));
}

async function appliedMigrations(databaseUrl: string): Promise<string[]> {
  const sql = new Client({ connectionString: databaseUrl });
  await sql.connect();
  try {
    return (await sql.query<{ name: string }>('SELECT name FROM public.cairn_migrations ORDER BY name')).rows.map((r) => r.name);
  } finally {
    await sql.end();
  }
}

it(`the previous release keeps serving, without one failed request, while the Job applies ${newestMigration}; this release then reads its data`, async () => {
  db = await createTestDatabase({ migrated: false });
  // The previous release, installed: it migrated the database to its own schema when it started.
  const previous = await startServer({ checkout: scratch, database: db, timeoutMs: 90_000 });
  let current: StartedServer | undefined;
  try {
    expect(await appliedMigrations(db.url)).not.toContain(newestMigration);
    const { experiment_id: experimentId } = await post<{ experiment_id: string }>(previous, 'experiments/create', { name: 'upgrade-under-load' });

    const failures: string[] = [];
    let stopAt = Number.POSITIVE_INFINITY;
    const load = Array.from({ length: 4 }, () => client(previous, experimentId, () => Date.now() > stopAt, failures));
    const job = await runMigrationJob(db.url);
    stopAt = Date.now() + 2_000; // and a little after: the old pods serve on until the rolling update
    const requests = (await Promise.all(load)).reduce((a, b) => a + b, 0);

    expect(job).toMatchObject({ code: 0, output: expect.stringContaining(`applied migrations: ${newestMigration}`) });
    expect(await appliedMigrations(db.url)).toContain(newestMigration);
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(20);

    // The rolling update: this release, not migrating (the Job did), finds every run the previous one wrote.
    current = await startServer({ database: db, env: { CAIRN_MIGRATE_ON_START: 'false' } });
    const { runs } = await post<{ runs: unknown[] }>(current, 'runs/search', { experiment_ids: [experimentId], max_results: 1000 });
    expect(runs).toHaveLength(requests / 5);
  } finally {
    await previous.stop();
    await current?.stop();
  }
});
