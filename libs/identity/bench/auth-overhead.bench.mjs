#!/usr/bin/env node
// What authentication costs on the two hot paths (issue 18): log-batch ingest and MLflow's alias
// route, with CAIRN_AUTH=none and with CAIRN_AUTH=basic (a non-admin user's password, and a scoped
// token), three servers side by side in one run, measured in alternating order so drift hits each alike:
//   BENCH_PG=<admin postgres url> node libs/identity/bench/auth-overhead.bench.mjs
//   [BENCH_AUTH_ROUNDS=5] [BENCH_AUTH_BATCHES=400] [BENCH_AUTH_CLIENTS=8] [BENCH_ALIAS_SECONDS=8]
// Ingest: 8 clients × 1000-point log-batch requests (Node clients, as the tracking benchmark does).
// Alias: tools/loadgen (Go) with 64 closed-loop clients on GET registered-models/alias, pinned to
// the other core than the server where the machine has two.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createDatabase, dropDatabase, env, loadgen, num, pinProcessTree, startCairn } from '../../../tools/bench/harness.mjs';

const PG = env('BENCH_PG', process.env.CAIRN_TEST_DATABASE_URL);
if (!PG) {
  console.error('set BENCH_PG (admin Postgres URL)');
  process.exit(2);
}
const ROUNDS = num('BENCH_AUTH_ROUNDS', 5);
const BATCHES = num('BENCH_AUTH_BATCHES', 400);
const CLIENTS = num('BENCH_AUTH_CLIENTS', 8);
const ALIAS_SECONDS = num('BENCH_ALIAS_SECONDS', 8);
const ADMIN_PASSWORD = 'bench-admin-password';
const run = loadgen();

const basic = (user, password) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function call(base, auth, method, route, body) {
  const headers = { 'content-type': 'application/json' };
  if (auth) headers.authorization = auth;
  const response = await fetch(`${base}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${route} -> ${response.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

/** A server in one mode, seeded as its user: an experiment with runs, a model with @champion. */
async function start(mode) {
  const db = await createDatabase(PG, `bench_auth_${mode}`);
  const extra = mode === 'none' ? {} : { CAIRN_AUTH: 'basic', CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD };
  const server = await startCairn(db.url, 'server', extra);
  let auth;
  if (mode !== 'none') {
    await call(server.url, basic('admin', ADMIN_PASSWORD), 'POST', '/api/2.0/mlflow/users/create', { username: 'bench', password: 'bench-password' });
    auth = basic('bench', 'bench-password');
  }
  const api = '/api/2.0/mlflow';
  const { experiment_id } = await call(server.url, auth, 'POST', `${api}/experiments/create`, { name: 'auth-bench' });
  const runs = [];
  for (let i = 0; i < 16; i++) runs.push((await call(server.url, auth, 'POST', `${api}/runs/create`, { experiment_id })).run.info.run_id);
  await call(server.url, auth, 'POST', `${api}/registered-models/create`, { name: 'churn' });
  await call(server.url, auth, 'POST', `${api}/model-versions/create`, { name: 'churn', source: `runs:/${runs[0]}/model`, run_id: runs[0] });
  await call(server.url, auth, 'POST', `${api}/registered-models/alias`, { name: 'churn', alias: 'champion', version: '1' });
  if (mode === 'token') {
    const scopes = [
      { resource_type: 'experiment', resource_id: experiment_id, permission: 'EDIT' },
      { resource_type: 'registered_model', resource_id: 'churn', permission: 'READ' },
    ];
    auth = `Bearer ${(await call(server.url, auth, 'POST', '/api/2.0/cairn/tokens/create', { name: 'bench', scopes })).secret}`;
  }
  return { db, server, auth, runs };
}

/**
 * One request before each timed phase: a password is verified (argon2, tens of ms) once per cache
 * lifetime, and rounds are further apart than that; steady state is what a busy client sees.
 */
async function warm({ server, auth }) {
  await call(server.url, auth, 'GET', '/api/2.0/mlflow/registered-models/alias?name=churn&alias=champion');
}

async function ingest({ server, auth, runs }, round) {
  await warm({ server, auth });
  let next = 0;
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < BATCHES) {
        const b = next++;
        const metrics = Array.from({ length: 1000 }, (_, i) => ({
          key: `m${i % 10}`,
          value: Math.random(),
          timestamp: Date.now(),
          step: (round * BATCHES + b) * 1000 + i,
        }));
        await call(server.url, auth, 'POST', '/api/2.0/mlflow/runs/log-batch', { run_id: runs[b % runs.length], metrics });
      }
    }),
  );
  return (BATCHES * 1000) / ((performance.now() - begin) / 1000);
}

/** CPU seconds (user + system) a process has used so far; Linux only. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function alias({ server, auth }) {
  await warm({ server, auth });
  const pin = os.cpus().length >= 2 && pinProcessTree(server.child.pid, '1');
  try {
    const args = ['-url', `${server.url}/api/2.0/mlflow/registered-models/alias?name=churn&alias=champion`, '-clients', '64', '-duration', `${ALIAS_SECONDS}s`];
    if (auth) args.push('-header', `Authorization: ${auth}`);
    const before = cpuSeconds(server.child.pid);
    const result = await run(args, pin ? { cpus: '0' } : {});
    // The server's own CPU per request: what authentication adds, free of the load's throughput noise.
    return { ...result, cpuMicrosPerRequest: ((cpuSeconds(server.child.pid) - before) * 1e6) / result.requests };
  } finally {
    if (pin) pinProcessTree(server.child.pid, `0-${os.cpus().length - 1}`);
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const modes = ['none', 'password', 'token'];
  // All three servers run for the whole benchmark (each idle while another is measured), so every
  // round compares them on the same machine state; the order alternates between rounds.
  const servers = Object.fromEntries(await Promise.all(modes.map(async (mode) => [mode, await start(mode)])));
  const results = Object.fromEntries(modes.map((m) => [m, { ingest: [], aliasRps: [], aliasP99: [], aliasCpu: [] }]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? modes : [...modes].reverse();
      for (const mode of order) {
        const a = await alias(servers[mode]);
        if (a.errors > 0 || Object.keys(a.statuses ?? {}).some((s) => s !== '200')) throw new Error(`${mode}: alias answered errors ${JSON.stringify(a)}`);
        results[mode].aliasRps.push(a.rps);
        results[mode].aliasP99.push(a.p99_ms);
        results[mode].aliasCpu.push(a.cpuMicrosPerRequest);
      }
      for (const mode of order) results[mode].ingest.push(await ingest(servers[mode], round));
      console.error(
        `round ${round + 1}: ` +
          modes.map((m) => `${m} ingest ${Math.round(results[m].ingest.at(-1))} points/s, alias ${Math.round(results[m].aliasRps.at(-1))} req/s`).join('; '),
      );
    }
  } finally {
    for (const { server, db } of Object.values(servers)) {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('exit', r));
      await dropDatabase(PG, db.name);
    }
  }
  const base = results.none;
  console.log(
    `| mode | log-batch ingest, points/s (median of ${ROUNDS}) | vs none (median of per-round ratios) | alias GET, req/s (median of ${ROUNDS}) | vs none (median of per-round ratios) | alias p99, ms | server CPU per alias request, µs |`,
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const mode of modes) {
    const r = results[mode];
    // Paired: each round's figure over the same round's auth-off figure, then the median of those.
    const ratio = (a, b) => `${(median(a.map((x, i) => x / b[i])) * 100).toFixed(1)} %`;
    console.log(
      `| ${mode} | ${Math.round(median(r.ingest)).toLocaleString('en')} | ${ratio(r.ingest, base.ingest)} | ${Math.round(median(r.aliasRps)).toLocaleString('en')} | ${ratio(r.aliasRps, base.aliasRps)} | ${median(r.aliasP99)} | ${median(r.aliasCpu).toFixed(0)} |`,
    );
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
