// Shared by the benchmarks: scratch databases on one Postgres, and Cairn and the real
// `mlflow server` started side by side as child processes (stopped when the benchmark exits).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const env = (name, fallback) => process.env[name] ?? fallback;
export const num = (name, fallback) => Number(env(name, String(fallback)));

const children = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGTERM')));

/**
 * The benchmarks' Postgres by default: the durable Debian Postgres 15 of tools/bench/durable-pg.sh
 * (`bash tools/bench/durable-pg.sh up` starts it). The test cluster (fsync, synchronous_commit and
 * full_page_writes off) stays selectable: BENCH_PG=$CAIRN_TEST_DATABASE_URL.
 */
export const DURABLE_PG = 'postgres://bench:bench@127.0.0.1:55515/postgres';

export function requireBenchEnv() {
  const PG = env('BENCH_PG', DURABLE_PG);
  const MLFLOW = env('BENCH_MLFLOW', '');
  if (!PG || !MLFLOW) {
    console.error('set BENCH_MLFLOW (eval "$(bash tools/bench/peers.sh)"), and BENCH_PG unless the durable cluster of tools/bench/durable-pg.sh is up');
    process.exit(2);
  }
  return { PG, MLFLOW };
}

export async function createDatabase(adminUrl, prefix) {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

export async function dropDatabase(adminUrl, name) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

export function startProcess(command, args, extraEnv, ready) {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.on('error', () => undefined);
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start:\n${output}`)), num('BENCH_START_SECONDS', 300) * 1000);
    // Drained for the child's whole life (MLflow logs every request: a full pipe would block it);
    // only the tail is kept, for the error message.
    const onData = (chunk) => {
      output = (output + chunk.toString()).slice(-65_536);
      const url = ready(output);
      if (url) {
        clearTimeout(timer);
        resolve({ url, child });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${command} exited ${code}:\n${output}`)));
  });
}

/** A Cairn app from dist/ (built first if stale) against `databaseUrl`, on a free port. */
export async function startCairn(databaseUrl, app = 'server', extraEnv = {}) {
  execFileSync(process.execPath, [path.join(root, 'tools', 'build.mjs'), '--if-stale'], { cwd: root, stdio: 'inherit' });
  return startProcess(
    process.execPath,
    [path.join(root, 'dist', 'apps', app, 'src', 'main.js')],
    {
      CAIRN_DATABASE_URL: databaseUrl,
      CAIRN_PORT: '0',
      CAIRN_HOST: '127.0.0.1',
      CAIRN_LOG_LEVEL: 'warn',
      CAIRN_HOME: `/tmp/cairn-bench-${process.pid}`,
      ...extraEnv,
    },
    (out) => /listening at (http:\/\/\S+)/.exec(out)?.[1],
  );
}

/** The real `mlflow server` (its default workers) against `databaseUrl`. */
export async function startMlflow(mlflow, databaseUrl) {
  const port = 15000 + Math.floor(Math.random() * 1000);
  const url = databaseUrl.replace(/^postgres(ql)?:/, 'postgresql+psycopg2:');
  // Uvicorn restarts a worker that does not answer its health ping within 5 s: on a loaded machine
  // MLflow 3's workers, still importing, were restarted over and over and the server never came up.
  const args = ['server', '--backend-store-uri', url, '--host', '127.0.0.1', '--port', String(port), '--uvicorn-opts', '--timeout-worker-healthcheck 120'];
  const started = await startProcess(mlflow, args, {}, (out) =>
    /Uvicorn running on|Listening at|Application startup complete/.test(out) ? `http://127.0.0.1:${port}` : undefined,
  );
  // Its log line can come before every worker accepts: wait until /health answers (minutes on a
  // machine shared with other work; BENCH_START_SECONDS to change it).
  for (const deadline = Date.now() + num('BENCH_START_SECONDS', 600) * 1000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    const ok = await fetch(`${started.url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return started;
  }
  started.child.kill();
  throw new Error('mlflow server did not answer /health');
}

/** Polls `url` until it answers 2xx (a server's log line can come before it accepts requests). */
async function waitUntilAnswering(url, what) {
  for (const deadline = Date.now() + 600_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
  }
  throw new Error(`${what} did not answer ${url}`);
}

const freePort = () => 16000 + Math.floor(Math.random() * 4000);

/**
 * FastTrackML (`fml server`, BENCH_FASTTRACKML from tools/bench/peers.sh) against `databaseUrl`: a Go
 * server of MLflow's tracking API with its own schema, migrated by itself at start.
 */
export async function startFastTrackML(fml, databaseUrl) {
  const port = freePort();
  const started = await startProcess(
    fml,
    ['server', '--listen-address', `127.0.0.1:${port}`, '--database-uri', databaseUrl, '--default-artifact-root', `/tmp/cairn-bench-fml-${process.pid}`],
    {},
    (out) => (/listening|started|Fiber/i.test(out) ? `http://127.0.0.1:${port}` : undefined),
  );
  await waitUntilAnswering(`${started.url}/health`, 'fml server');
  return started;
}

/**
 * mlflow-go-backend (BENCH_MLFLOW_GO: the `mlflow-go-bench` wrapper tools/bench/peers.sh writes): MLflow
 * 2.22's server with its tracking and registry stores answered by Go, on MLflow's schema.
 */
export async function startMlflowGo(mlflowGo, databaseUrl) {
  const port = freePort();
  const url = databaseUrl.replace(/^postgres(ql)?:/, 'postgresql:');
  // It starts MLflow's own server for the routes it does not serve: `mlflow` from its venv, on PATH.
  const PATH = `${path.dirname(mlflowGo)}:${process.env.PATH ?? ''}`;
  const started = await startProcess(mlflowGo, ['server', '--backend-store-uri', url, '--host', '127.0.0.1', '--port', String(port)], { PATH }, (out) =>
    /Uvicorn running on|Listening at|Application startup complete/.test(out) ? `http://127.0.0.1:${port}` : undefined,
  );
  await waitUntilAnswering(`${started.url}/health`, 'mlflow-go server');
  return started;
}

/** Resident memory of a process and its children (MLflow runs workers), in MiB; Linux only. */
export function rssMiB(pid) {
  try {
    const out = execFileSync('ps', ['-o', 'rss=', '--ppid', String(pid), '-p', String(pid)], { encoding: 'utf8' });
    return Math.round(
      out
        .split('\n')
        .filter(Boolean)
        .reduce((sum, line) => sum + Number(line.trim()), 0) / 1024,
    );
  } catch {
    return undefined;
  }
}

/** The pids of a process's children (ps exits 1 when there are none). */
function childPids(pid) {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Pins a process, its threads and its child processes (MLflow's workers) to `cpus` (a taskset list
 * such as "1" or "0,1"), so a server under test and the load generator stop taking each other's
 * core. Linux only; returns false where taskset is missing.
 */
export function pinProcessTree(pid, cpus) {
  try {
    const children = childPids(pid);
    for (const target of [String(pid), ...children]) execFileSync('taskset', ['-a', '-p', '-c', cpus, target], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The Go load generator (tools/loadgen), built once into .cache/ with the standard library only.
 * The returned runner takes the loadgen arguments and, optionally, `{ cpus }` to run it under taskset.
 */
export function loadgen() {
  const binary = path.join(root, '.cache', 'loadgen');
  execFileSync('go', ['build', '-o', binary, '.'], {
    cwd: path.join(root, 'tools', 'loadgen'),
    stdio: 'inherit',
    env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
  });
  // Asynchronous: while it runs, this process must keep draining the servers' output pipes.
  return (args, { cpus } = {}) =>
    new Promise((resolve, reject) =>
      execFile(cpus ? 'taskset' : binary, cpus ? ['-c', cpus, binary, ...args] : args, { encoding: 'utf8', maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`loadgen failed: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout));
      }),
    );
}
