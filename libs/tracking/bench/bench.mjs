#!/usr/bin/env node
// Tracking benchmark: Cairn's tracking-service vs the real `mlflow server`, same Postgres, same
// workload, one run. Writes libs/tracking/bench/BENCHMARKS.md. Not a test: it reports, it does not assert.
//
//   BENCH_PG=postgres://postgres@127.0.0.1:5432/postgres \
//   BENCH_MLFLOW=/path/to/venv/bin/mlflow   (a venv with mlflow + psycopg2-binary) \
//   node libs/tracking/bench/bench.mjs
//
// Sizes (defaults are scaled down so one run takes minutes; the sizes in brackets):
//   BENCH_INGEST_POINTS=200000 [1000000]  BENCH_INGEST_RUNS=100  BENCH_CLIENTS=8
//   BENCH_LOG_METRIC_REQUESTS=3200        BENCH_LOG_METRIC_CLIENTS=32
//   BENCH_SEARCH_RUNS=5000 [100000]       BENCH_HISTORY_POINTS=200000 [1000000]
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const env = (name, fallback) => process.env[name] ?? fallback;
const num = (name, fallback) => Number(env(name, String(fallback)));
const PG = env('BENCH_PG', process.env.CAIRN_TEST_DATABASE_URL);
const MLFLOW = env('BENCH_MLFLOW', '');
const SIZES = {
  ingestPoints: num('BENCH_INGEST_POINTS', 200_000),
  ingestRuns: num('BENCH_INGEST_RUNS', 100),
  clients: num('BENCH_CLIENTS', 8),
  logMetricRequests: num('BENCH_LOG_METRIC_REQUESTS', 3200),
  logMetricClients: num('BENCH_LOG_METRIC_CLIENTS', 32),
  searchRuns: num('BENCH_SEARCH_RUNS', 5000),
  historyPoints: num('BENCH_HISTORY_POINTS', 200_000),
};
if (!PG || !MLFLOW) {
  console.error('set BENCH_PG (admin Postgres URL) and BENCH_MLFLOW (mlflow executable of a venv with psycopg2)');
  process.exit(2);
}

const children = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGTERM')));

async function createDatabase(prefix) {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

async function dropDatabase(name) {
  const admin = new pg.Client({ connectionString: PG });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

function startProcess(command, args, extraEnv, ready) {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.on('error', () => undefined);
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start:\n${output}`)), 120_000);
    const onData = (chunk) => {
      output += chunk.toString();
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

async function startCairn(databaseUrl) {
  execFileSync(process.execPath, [path.join(root, 'tools', 'build.mjs'), '--if-stale'], { cwd: root, stdio: 'inherit' });
  return startProcess(process.execPath, [path.join(root, 'dist', 'apps', 'tracking-service', 'src', 'main.js')], {
    CAIRN_DATABASE_URL: databaseUrl, CAIRN_PORT: '0', CAIRN_HOST: '127.0.0.1', CAIRN_LOG_LEVEL: 'warn', CAIRN_HOME: `/tmp/cairn-bench-${process.pid}`,
  }, (out) => /listening at (http:\/\/\S+)/.exec(out)?.[1]);
}

async function startMlflow(databaseUrl) {
  const port = 15000 + Math.floor(Math.random() * 1000);
  const url = databaseUrl.replace(/^postgres(ql)?:/, 'postgresql+psycopg2:');
  const started = await startProcess(MLFLOW, ['server', '--backend-store-uri', url, '--host', '127.0.0.1', '--port', String(port)], {}, (out) =>
    /Uvicorn running on|Listening at|Application startup complete/.test(out) ? `http://127.0.0.1:${port}` : undefined);
  return started;
}

async function call(base, route, body, method = 'POST') {
  const response = await fetch(`${base}/api/2.0/mlflow/${route}`, method === 'GET'
    ? { method }
    : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${route} -> ${response.status} ${text.slice(0, 200)}`);
  return text;
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function pool(n, work) {
  await Promise.all(Array.from({ length: n }, (_, i) => work(i)));
}

async function createRuns(base, experimentId, count, clients = 8) {
  const ids = new Array(count);
  let next = 0;
  await pool(clients, async () => {
    while (next < count) {
      const i = next++;
      const body = JSON.parse(await call(base, 'runs/create', { experiment_id: experimentId, start_time: Date.now(), run_name: `r${i}` }));
      ids[i] = body.run.info.run_id;
    }
  });
  return ids;
}

async function ingest(base, experimentId) {
  const runs = await createRuns(base, experimentId, SIZES.ingestRuns);
  const batches = Math.ceil(SIZES.ingestPoints / 1000);
  let next = 0;
  const start = performance.now();
  await pool(SIZES.clients, async () => {
    while (next < batches) {
      const b = next++;
      const runId = runs[b % runs.length];
      const step0 = Math.floor(b / runs.length) * 1000;
      const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: `m${i % 10}`, value: Math.random(), timestamp: Date.now(), step: step0 + i }));
      await call(base, 'runs/log-batch', { run_id: runId, metrics });
    }
  });
  const seconds = (performance.now() - start) / 1000;
  return { pointsPerSecond: (batches * 1000) / seconds, seconds };
}

async function logMetric(base, experimentId) {
  const runs = await createRuns(base, experimentId, SIZES.logMetricClients);
  const latencies = [];
  let next = 0;
  const start = performance.now();
  await pool(SIZES.logMetricClients, async (client) => {
    while (next < SIZES.logMetricRequests) {
      const i = next++;
      const t0 = performance.now();
      await call(base, 'runs/log-metric', { run_id: runs[client], key: 'loss', value: Math.random(), timestamp: Date.now(), step: i });
      latencies.push(performance.now() - t0);
    }
  });
  const seconds = (performance.now() - start) / 1000;
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), rps: SIZES.logMetricRequests / seconds };
}

async function search(base, experimentId) {
  const runs = await createRuns(base, experimentId, SIZES.searchRuns, 16);
  let next = 0;
  await pool(16, async () => {
    while (next < runs.length) {
      const i = next++;
      const lr = ['0.01', '0.05', '0.1', '0.2'][i % 4];
      await call(base, 'runs/log-batch', {
        run_id: runs[i],
        params: [{ key: 'lr', value: lr }, ...Array.from({ length: 19 }, (_, j) => ({ key: `p${j}`, value: String((i * 7 + j) % 13) }))],
        metrics: [{ key: 'val_auc', value: (i % 1000) / 1000, timestamp: 1, step: 0 }, ...Array.from({ length: 9 }, (_, j) => ({ key: `m${j}`, value: Math.random(), timestamp: 1, step: 0 }))],
        tags: Array.from({ length: 10 }, (_, j) => ({ key: `t${j}`, value: `v${(i + j) % 5}` })),
      });
    }
  });
  const request = { experiment_ids: [experimentId], filter: "metrics.val_auc > 0.85 and params.lr = '0.05'", order_by: ['metrics.val_auc DESC'], max_results: 100 };
  await call(base, 'runs/search', request);
  const latencies = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await call(base, 'runs/search', request);
    latencies.push(performance.now() - t0);
  }
  return { p50: percentile(latencies, 50) };
}

async function history(base, experimentId) {
  const [runId] = await createRuns(base, experimentId, 1);
  const batches = Math.ceil(SIZES.historyPoints / 1000);
  let next = 0;
  await pool(4, async () => {
    while (next < batches) {
      const b = next++;
      await call(base, 'runs/log-batch', { run_id: runId, metrics: Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: Math.random(), timestamp: 1000 + b, step: b * 1000 + i })) });
    }
  });
  const t0 = performance.now();
  const text = await call(base, `metrics/get-history?run_id=${runId}&metric_key=loss`, undefined, 'GET');
  const full = performance.now() - t0;
  const points = (JSON.parse(text).metrics ?? []).length;
  const latencies = [];
  for (let i = 0; i < 20; i++) {
    const s0 = performance.now();
    await call(base, `metrics/get-history-bulk-interval?run_ids=${runId}&metric_key=loss&max_results=320`, undefined, 'GET');
    latencies.push(performance.now() - s0);
  }
  return { fullSeconds: full / 1000, points, bulkP50: percentile(latencies, 50) };
}

async function measure(label, base) {
  const experiment = async (name) => JSON.parse(await call(base, 'experiments/create', { name: `${name}-${randomBytes(3).toString('hex')}` })).experiment_id;
  console.error(`[${label}] ingest`);
  const ingestResult = await ingest(base, await experiment('ingest'));
  console.error(`[${label}] log-metric`);
  const logMetricResult = await logMetric(base, await experiment('log-metric'));
  console.error(`[${label}] search`);
  const searchResult = await search(base, await experiment('search'));
  console.error(`[${label}] history`);
  const historyResult = await history(base, await experiment('history'));
  return { ingest: ingestResult, logMetric: logMetricResult, search: searchResult, history: historyResult };
}

async function main() {
  const cairnDb = await createDatabase('bench_cairn');
  const mlflowDb = await createDatabase('bench_mlflow');
  try {
    const cairn = await startCairn(cairnDb.url);
    const mlflow = await startMlflow(mlflowDb.url);
    const version = execFileSync(MLFLOW, ['--version']).toString().trim();
    const loadBefore = os.loadavg()[0];
    const c = await measure('cairn', cairn.url);
    const m = await measure('mlflow', mlflow.url);
    const f = (x, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
    const ratio = (a, b) => `${f(a / b, 1)}×`;
    const rows = [
      ['log-batch ingest, points/s', f(c.ingest.pointsPerSecond), f(m.ingest.pointsPerSecond), ratio(c.ingest.pointsPerSecond, m.ingest.pointsPerSecond), '≥ 15×'],
      ['log-metric, req/s (32 clients)', f(c.logMetric.rps), f(m.logMetric.rps), ratio(c.logMetric.rps, m.logMetric.rps), '≥ 5×'],
      ['log-metric p50 / p99, ms', `${f(c.logMetric.p50, 1)} / ${f(c.logMetric.p99, 1)}`, `${f(m.logMetric.p50, 1)} / ${f(m.logMetric.p99, 1)}`, '', ''],
      [`search (${f(SIZES.searchRuns)} runs) p50, ms`, f(c.search.p50, 1), f(m.search.p50, 1), ratio(m.search.p50, c.search.p50), '≤ 50 ms, ≥ 10×'],
      [`full history (${f(SIZES.historyPoints)} points), s`, f(c.history.fullSeconds, 2), f(m.history.fullSeconds, 2), ratio(m.history.fullSeconds, c.history.fullSeconds), '≤ 3 s (1M)'],
      ['320-point downsampled history p50, ms', f(c.history.bulkP50, 1), f(m.history.bulkP50, 1), ratio(m.history.bulkP50, c.history.bulkP50), '≤ 30 ms'],
    ];
    const table = ['| workload | Cairn | MLflow | Cairn vs MLflow | goal |', '|---|---:|---:|---:|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
    const doc = `# Tracking benchmark

Generated ${new Date().toISOString()} by \`node libs/tracking/bench/bench.mjs\` against \`${version}\` (\`mlflow server\`, default workers)
and Cairn's \`tracking-service\`, both on the same Postgres (${new URL(PG).host}), same workload, one run.

Machine: ${os.cpus().length} CPUs, 1-min load average ${loadBefore.toFixed(1)} before and ${os.loadavg()[0].toFixed(1)} after the run
(the servers, Postgres and this load generator share those CPUs; with other work on the machine the numbers swing by 2-3x).

Sizes: ${JSON.stringify(SIZES)} (the issue's full sizes: BENCH_INGEST_POINTS=1000000 BENCH_SEARCH_RUNS=100000 BENCH_HISTORY_POINTS=1000000).

${table}

Reproduce: \`BENCH_PG=<admin postgres url> BENCH_MLFLOW=<venv>/bin/mlflow node libs/tracking/bench/bench.mjs\` (the venv needs \`mlflow\` and \`psycopg2-binary\`).
`;
    writeFileSync(path.join(here, 'BENCHMARKS.md'), doc);
    console.log(doc);
    console.log(JSON.stringify({ cairn: c, mlflow: m }, null, 2));
  } finally {
    children.forEach((child) => child.kill('SIGTERM'));
    await new Promise((r) => setTimeout(r, 1000));
    await dropDatabase(cairnDb.name).catch(() => undefined);
    await dropDatabase(mlflowDb.name).catch(() => undefined);
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
