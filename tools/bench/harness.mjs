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

export function requireBenchEnv() {
  const PG = env('BENCH_PG', process.env.CAIRN_TEST_DATABASE_URL);
  const MLFLOW = env('BENCH_MLFLOW', '');
  if (!PG || !MLFLOW) {
    console.error('set BENCH_PG (admin Postgres URL) and BENCH_MLFLOW (mlflow executable of a venv with psycopg2)');
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
    const timer = setTimeout(() => reject(new Error(`${command} did not start:\n${output}`)), Math.max(120, num('BENCH_START_SECONDS', 60)) * 1000);
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
  const started = await startProcess(mlflow, ['server', '--backend-store-uri', url, '--host', '127.0.0.1', '--port', String(port)], {}, (out) =>
    /Uvicorn running on|Listening at|Application startup complete/.test(out) ? `http://127.0.0.1:${port}` : undefined,
  );
  // Its log line can come before every worker accepts: wait until /health answers.
  // BENCH_START_SECONDS: longer on a loaded machine (its workers start one after the other).
  for (const deadline = Date.now() + num('BENCH_START_SECONDS', 60) * 1000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    const ok = await fetch(`${started.url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return started;
  }
  throw new Error('mlflow server did not answer /health');
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
