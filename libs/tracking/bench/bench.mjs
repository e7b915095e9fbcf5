#!/usr/bin/env node
// Tracking benchmark: Cairn's all-in-one server vs the real `mlflow server`, same Postgres, same
// workload, one run. Writes libs/tracking/bench/BENCHMARKS.md. Not a test: it reports, it does not assert.
//
//   BENCH_PG=postgres://postgres@127.0.0.1:5432/postgres \
//   BENCH_MLFLOW=/path/to/venv/bin/mlflow   (a venv with mlflow + psycopg2-binary) \
//   node libs/tracking/bench/bench.mjs
//
// Sizes (defaults are scaled down so one run takes minutes; the issue's sizes in brackets):
//   BENCH_INGEST_POINTS=200000 [1000000]  BENCH_INGEST_RUNS=100  BENCH_CLIENTS=8
//   BENCH_LOG_METRIC_SECONDS=15           BENCH_LOG_METRIC_CLIENTS=32 (load from tools/loadgen, Go)
//   BENCH_SEARCH_RUNS=5000 [100000]       BENCH_HISTORY_POINTS=200000 [1000000]
//
// For quick before/after comparisons while tuning (either switch skips writing BENCHMARKS.md and
// prints the JSON only, with Cairn/MLflow ratios when both ran; BENCH_MLFLOW must still be set):
//   BENCH_ONLY=cairn|mlflow                 measure one server only
//   BENCH_WORKLOADS=ingest,log-metric       a subset of ingest, log-metric, search, history
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  createDatabase as createDb,
  dropDatabase as dropDb,
  env,
  loadgen,
  num,
  requireBenchEnv,
  startCairn,
  startMlflow as startMlflowServer,
} from '../../../tools/bench/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { PG, MLFLOW } = requireBenchEnv();
const SIZES = {
  ingestPoints: num('BENCH_INGEST_POINTS', 200_000),
  ingestRuns: num('BENCH_INGEST_RUNS', 100),
  clients: num('BENCH_CLIENTS', 8),
  logMetricSeconds: num('BENCH_LOG_METRIC_SECONDS', 15),
  logMetricClients: num('BENCH_LOG_METRIC_CLIENTS', 32),
  searchRuns: num('BENCH_SEARCH_RUNS', 5000),
  historyPoints: num('BENCH_HISTORY_POINTS', 200_000),
};
const ONLY = env('BENCH_ONLY', '');
const WORKLOADS = new Set(
  env('BENCH_WORKLOADS', 'ingest,log-metric,search,history')
    .split(',')
    .map((w) => w.trim()),
);
const PARTIAL = ONLY !== '' || WORKLOADS.size < 4;
const createDatabase = (prefix) => createDb(PG, prefix);
const dropDatabase = (name) => dropDb(PG, name);
const startMlflow = (databaseUrl) => startMlflowServer(MLFLOW, databaseUrl);
const loadgenRun = loadgen();

async function call(base, route, body, method = 'POST') {
  const response = await fetch(
    `${base}/api/2.0/mlflow/${route}`,
    method === 'GET' ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
  );
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

/**
 * Single log-metric calls, each client on its own run, for BENCH_LOG_METRIC_SECONDS from the Go load
 * generator (tools/loadgen): a Node client spent ~1.3 ms of CPU per request here, a third of what the
 * 2 cores had, which capped the faster server more than the slower one.
 */
async function logMetric(base, experimentId) {
  const runs = await createRuns(base, experimentId, SIZES.logMetricClients);
  const body = '{"run_id":"{client}","key":"loss","value":{rand},"timestamp":{now},"step":{seq}}';
  const args = ['-url', `${base}/api/2.0/mlflow/runs/log-metric`, '-body', body, '-client-values', runs.join(','), '-clients', String(SIZES.logMetricClients)];
  await loadgenRun([...args, '-duration', '5s']); // warm-up: connections, MLflow's workers, prepared statements, JIT
  const result = await loadgenRun([...args, '-duration', `${SIZES.logMetricSeconds}s`]);
  if (result.errors > 0) throw new Error(`log-metric: ${result.errors} failed requests ${JSON.stringify(result.statuses)}`);
  return { p50: result.p50_ms, p99: result.p99_ms, rps: result.rps, requests: result.requests };
}

// MLflow's REST API creates runs at ~100-200/s here, so 100k runs would take half an hour: above
// this size MLflow's database is seeded with the same rows through its own schema (runs, params,
// tags, metrics, latest_metrics). The search being measured is the same request either way.
const MLFLOW_SQL_SEED_ABOVE = 10_000;

async function seedMlflowBySql(databaseUrl, experimentId, count) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)
       SELECT md5('bench' || i), 'r' || i, 'LOCAL', '', '', 'bench', 'FINISHED', 1, 2, '', 'active', 'mlflow-artifacts:/' || $1 || '/' || md5('bench' || i) || '/artifacts', $1::int
       FROM generate_series(0, $2 - 1) AS i`,
      [experimentId, count],
    );
    await client.query(
      `INSERT INTO params (key, value, run_uuid)
       SELECT 'lr', (ARRAY['0.01','0.05','0.1','0.2'])[i % 4 + 1], md5('bench' || i) FROM generate_series(0, $1 - 1) AS i
       UNION ALL
       SELECT 'p' || j, ((i * 7 + j) % 13)::text, md5('bench' || i) FROM generate_series(0, $1 - 1) AS i, generate_series(0, 18) AS j`,
      [count],
    );
    await client.query(
      `INSERT INTO tags (key, value, run_uuid)
       SELECT 't' || j, 'v' || ((i + j) % 5), md5('bench' || i) FROM generate_series(0, $1 - 1) AS i, generate_series(0, 9) AS j`,
      [count],
    );
    for (const table of ['metrics', 'latest_metrics']) {
      await client.query(
        `INSERT INTO ${table} (key, value, timestamp, step, is_nan, run_uuid)
         SELECT 'val_auc', (i % 1000) / 1000.0, 1, 0, false, md5('bench' || i) FROM generate_series(0, $1 - 1) AS i
         UNION ALL
         SELECT 'm' || j, random(), 1, 0, false, md5('bench' || i) FROM generate_series(0, $1 - 1) AS i, generate_series(0, 8) AS j`,
        [count],
      );
    }
    await client.query('COMMIT');
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

async function search(base, experimentId, databaseUrl, isMlflow) {
  if (isMlflow && SIZES.searchRuns > MLFLOW_SQL_SEED_ABOVE) {
    await seedMlflowBySql(databaseUrl, experimentId, SIZES.searchRuns);
    await settle(databaseUrl);
    return timeSearch(base, experimentId);
  }
  const runs = await createRuns(base, experimentId, SIZES.searchRuns, 16);
  let next = 0;
  await pool(16, async () => {
    while (next < runs.length) {
      const i = next++;
      const lr = ['0.01', '0.05', '0.1', '0.2'][i % 4];
      await call(base, 'runs/log-batch', {
        run_id: runs[i],
        params: [{ key: 'lr', value: lr }, ...Array.from({ length: 19 }, (_, j) => ({ key: `p${j}`, value: String((i * 7 + j) % 13) }))],
        metrics: [
          { key: 'val_auc', value: (i % 1000) / 1000, timestamp: 1, step: 0 },
          ...Array.from({ length: 9 }, (_, j) => ({ key: `m${j}`, value: Math.random(), timestamp: 1, step: 0 })),
        ],
        tags: Array.from({ length: 10 }, (_, j) => ({ key: `t${j}`, value: `v${(i + j) % 5}` })),
      });
    }
  });
  // Both databases are vacuumed and analyzed before timing (MLflow's after its SQL seed), so neither
  // planner works from statistics autovacuum has not caught up with yet.
  await settle(databaseUrl);
  return timeSearch(base, experimentId);
}

/** The settings that decide what a commit costs, as the shared Postgres reports them. */
async function postgresSettings() {
  const client = new pg.Client({ connectionString: PG });
  await client.connect();
  try {
    const names = ['fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers'];
    const values = [];
    for (const name of names) values.push(`${name}=${(await client.query(`SHOW ${name}`)).rows[0][name]}`);
    return values.join(', ');
  } finally {
    await client.end();
  }
}

/**
 * VACUUM ANALYZE after a workload's writes, before the next timed part: otherwise autovacuum wakes up
 * on the tables the last workload filled (1M points) and takes a core away from whatever is timed
 * next — a full run measured log-metric at half its quiet-machine rate that way. Same for both servers.
 */
async function settle(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('VACUUM (ANALYZE)');
  } finally {
    await client.end();
  }
}

async function timeSearch(base, experimentId) {
  const request = {
    experiment_ids: [experimentId],
    filter: "metrics.val_auc > 0.85 and params.lr = '0.05'",
    order_by: ['metrics.val_auc DESC'],
    max_results: 100,
  };
  await call(base, 'runs/search', request);
  const latencies = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await call(base, 'runs/search', request);
    latencies.push(performance.now() - t0);
  }
  return { p50: percentile(latencies, 50) };
}

async function history(base, experimentId, databaseUrl) {
  const [runId] = await createRuns(base, experimentId, 1);
  const batches = Math.ceil(SIZES.historyPoints / 1000);
  let next = 0;
  await pool(4, async () => {
    while (next < batches) {
      const b = next++;
      await call(base, 'runs/log-batch', {
        run_id: runId,
        metrics: Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: Math.random(), timestamp: 1000 + b, step: b * 1000 + i })),
      });
    }
  });
  await settle(databaseUrl);
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

async function measure(label, base, databaseUrl) {
  const isMlflow = label === 'mlflow';
  const experiment = async (name) => JSON.parse(await call(base, 'experiments/create', { name: `${name}-${randomBytes(3).toString('hex')}` })).experiment_id;
  const result = {};
  const step = async (name, key, run) => {
    if (!WORKLOADS.has(name)) return;
    console.error(`[${label}] ${name}`);
    result[key] = await run(await experiment(name));
    await settle(databaseUrl);
  };
  await step('ingest', 'ingest', (id) => ingest(base, id));
  await step('log-metric', 'logMetric', (id) => logMetric(base, id));
  await step('search', 'search', (id) => search(base, id, databaseUrl, isMlflow));
  await step('history', 'history', (id) => history(base, id, databaseUrl));
  return result;
}

/**
 * BENCH_ONLY / BENCH_WORKLOADS: one server and/or some workloads, JSON out, BENCHMARKS.md untouched.
 * Without BENCH_ONLY both servers run, one after the other, and the JSON has their ratios.
 */
async function measurePartial() {
  const labels = ONLY === 'mlflow' ? ['mlflow'] : ONLY === 'cairn' ? ['cairn'] : ['cairn', 'mlflow'];
  const out = { sizes: SIZES, loadBefore: os.loadavg() };
  for (const label of labels) {
    const db = await createDatabase(`bench_${label}`);
    try {
      const server = label === 'cairn' ? await startCairn(db.url) : await startMlflow(db.url);
      out[label] = await measure(label, server.url, db.url);
      server.child.kill();
    } finally {
      await dropDatabase(db.name).catch(() => undefined);
    }
  }
  if (out.cairn && out.mlflow) {
    const ratio = (a, b) => (a !== undefined && b ? Number((a / b).toFixed(2)) : undefined);
    out.ratios = {
      ingest: ratio(out.cairn.ingest?.pointsPerSecond, out.mlflow.ingest?.pointsPerSecond),
      logMetric: ratio(out.cairn.logMetric?.rps, out.mlflow.logMetric?.rps),
      searchP50: ratio(out.mlflow.search?.p50, out.cairn.search?.p50),
      history: ratio(out.mlflow.history?.fullSeconds, out.cairn.history?.fullSeconds),
    };
  }
  out.loadAfter = os.loadavg();
  console.log(JSON.stringify(out, null, 2));
}

async function main() {
  if (PARTIAL) {
    await measurePartial();
    process.exit(); // the harness stops the server on exit
  }
  const cairnDb = await createDatabase('bench_cairn');
  const mlflowDb = await createDatabase('bench_mlflow');
  try {
    const cairn = await startCairn(cairnDb.url);
    const mlflow = await startMlflow(mlflowDb.url);
    const version = execFileSync(MLFLOW, ['--version']).toString().trim();
    const settings = await postgresSettings();
    const loadBefore = os.loadavg()[0];
    const c = await measure('cairn', cairn.url, cairnDb.url);
    const m = await measure('mlflow', mlflow.url, mlflowDb.url);
    const f = (x, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
    const ratio = (a, b) => `${f(a / b, 1)}×`;
    const rows = [
      [
        'log-batch ingest, points/s',
        f(c.ingest.pointsPerSecond),
        f(m.ingest.pointsPerSecond),
        ratio(c.ingest.pointsPerSecond, m.ingest.pointsPerSecond),
        '≥ 15×',
      ],
      ['log-metric, req/s (32 clients)', f(c.logMetric.rps), f(m.logMetric.rps), ratio(c.logMetric.rps, m.logMetric.rps), '≥ 5×'],
      ['log-metric p50 / p99, ms', `${f(c.logMetric.p50, 1)} / ${f(c.logMetric.p99, 1)}`, `${f(m.logMetric.p50, 1)} / ${f(m.logMetric.p99, 1)}`, '', ''],
      [`search (${f(SIZES.searchRuns)} runs) p50, ms`, f(c.search.p50, 1), f(m.search.p50, 1), ratio(m.search.p50, c.search.p50), '≤ 50 ms, ≥ 10×'],
      [
        `full history (${f(SIZES.historyPoints)} points), s`,
        f(c.history.fullSeconds, 2),
        f(m.history.fullSeconds, 2),
        ratio(m.history.fullSeconds, c.history.fullSeconds),
        '≤ 3 s (1M)',
      ],
      ['320-point downsampled history p50, ms', f(c.history.bulkP50, 1), f(m.history.bulkP50, 1), ratio(m.history.bulkP50, c.history.bulkP50), '≤ 30 ms'],
    ];
    const table = ['| workload | Cairn | MLflow | Cairn vs MLflow | goal |', '|---|---:|---:|---:|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
    const doc = `# Tracking benchmark

Generated ${new Date().toISOString()} by \`node libs/tracking/bench/bench.mjs\` against \`${version}\` (\`mlflow server\`, default workers)
and Cairn's all-in-one \`server\`, both on the same Postgres (${new URL(PG).host}), same workload, one run.

Machine: ${os.cpus().length} CPUs, 1-min load average ${loadBefore.toFixed(1)} before and ${os.loadavg()[0].toFixed(1)} after the run
(the servers, Postgres and the load generators share those CPUs; with other work on the machine the numbers swing by 2-3x).
Postgres settings in effect for both servers: ${settings}${settings.includes('fsync=off') ? ' (the test cluster of tools/infra: not durable; both servers gain from it, and Cairn, which commits more often per request, probably more)' : ''}.
Load: ingest, search and history from this script (Node); log-metric from tools/loadgen (Go, 32 clients, ${SIZES.logMetricSeconds} s after a 5 s warm-up).
Cairn's events are relayed from the outbox to its in-process bus, where the registry's and artifacts' consumers apply each
one too (a service process alone needs Kafka since issue 17; the all-in-one server is the one process that needs nothing else).

Sizes: ${JSON.stringify(SIZES)} (the issue's full sizes: BENCH_INGEST_POINTS=1000000 BENCH_SEARCH_RUNS=100000 BENCH_HISTORY_POINTS=1000000).

${table}

Reproduce: \`BENCH_PG=<admin postgres url> BENCH_MLFLOW=<venv>/bin/mlflow node libs/tracking/bench/bench.mjs\` (the venv needs \`mlflow\` and \`psycopg2-binary\`).
`;
    writeFileSync(path.join(here, 'BENCHMARKS.md'), doc);
    console.log(doc);
    console.log(JSON.stringify({ cairn: c, mlflow: m }, null, 2));
  } finally {
    await dropDatabase(cairnDb.name).catch(() => undefined);
    await dropDatabase(mlflowDb.name).catch(() => undefined);
    process.exit(); // the harness stops both servers on exit
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
