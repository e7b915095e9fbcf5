#!/usr/bin/env node
// Tracking benchmark: Cairn's all-in-one server vs the real `mlflow server` (and, when given, the
// peers FastTrackML and mlflow-go-backend), same Postgres, same workload, one run. Writes
// libs/tracking/bench/BENCHMARKS.md. Not a test: it reports, it does not assert.
//
//   BENCH_PG=$(bash tools/bench/durable-pg.sh up)   (durable Postgres 15; or the test cluster's URL)
//   eval "$(bash tools/bench/peers.sh)"             (BENCH_MLFLOW, BENCH_FASTTRACKML, BENCH_MLFLOW_GO)
//   node libs/tracking/bench/bench.mjs
//
// Sizes (defaults are scaled down so one run takes minutes; the issue's sizes in brackets):
//   BENCH_INGEST_POINTS=200000 [1000000]  BENCH_INGEST_RUNS=100  BENCH_CLIENTS=8
//   BENCH_LOG_METRIC_SECONDS=15           BENCH_LOG_METRIC_CLIENTS=32 (load from tools/loadgen, Go)
//   BENCH_SEARCH_RUNS=5000 [100000]       BENCH_HISTORY_POINTS=200000 [1000000]
//   BENCH_SEARCH_REST_RUNS=20000          BENCH_SEARCH_REST_WAIT_SECONDS=60
//
// Two search shapes: `search` seeds (by REST, or by SQL for MLflow's schema above 10k runs) and runs
// VACUUM ANALYZE before timing; `search-rest` is the shape of issue 24's independent harness: runs
// created through the REST API only, no VACUUM or ANALYZE by the harness, timed at once and again
// BENCH_SEARCH_REST_WAIT_SECONDS later (whatever autovacuum has done by then), p50 over 15.
//
// For quick before/after comparisons while tuning (either switch skips writing BENCHMARKS.md and
// prints the JSON only, with Cairn/MLflow ratios when both ran; BENCH_MLFLOW must still be set):
//   BENCH_ONLY=cairn,mlflow-go              measure some of cairn, mlflow, fasttrackml, mlflow-go
//   BENCH_WORKLOADS=ingest,log-metric       a subset of ingest, log-metric, search, search-rest, history
//   BENCH_KEEP_DB=1                         keep the scratch databases (to EXPLAIN what was measured)
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
  startFastTrackML,
  startMlflow as startMlflowServer,
  startMlflowGo,
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
  searchRestRuns: num('BENCH_SEARCH_REST_RUNS', 20_000),
  searchRestWaitSeconds: num('BENCH_SEARCH_REST_WAIT_SECONDS', 60),
};
const list = (value) =>
  value
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean);
const ALL_WORKLOADS = ['ingest', 'log-metric', 'search', 'search-rest', 'history'];
const WORKLOADS = new Set(list(env('BENCH_WORKLOADS', ALL_WORKLOADS.join(','))));
const PEERS = { fasttrackml: env('BENCH_FASTTRACKML', ''), 'mlflow-go': env('BENCH_MLFLOW_GO', '') };
const ONLY = list(env('BENCH_ONLY', ''));
const SERVERS = ['cairn', 'mlflow', ...Object.keys(PEERS).filter((p) => PEERS[p])].filter((s) => ONLY.length === 0 || ONLY.includes(s));
const PARTIAL = ONLY.length > 0 || WORKLOADS.size < ALL_WORKLOADS.length;
const NAMES = { cairn: 'Cairn', mlflow: 'MLflow', fasttrackml: 'FastTrackML', 'mlflow-go': 'mlflow-go' };
/** Servers on MLflow's own schema (the SQL seed writes it). */
const MLFLOW_SCHEMA = new Set(['mlflow', 'mlflow-go']);
const createDatabase = (prefix) => createDb(PG, prefix);
const dropDatabase = (name) => dropDb(PG, name);
const start = (label, databaseUrl) => {
  switch (label) {
    case 'cairn':
      return startCairn(databaseUrl);
    case 'mlflow':
      return startMlflowServer(MLFLOW, databaseUrl);
    case 'fasttrackml':
      return startFastTrackML(PEERS.fasttrackml, databaseUrl);
    case 'mlflow-go':
      return startMlflowGo(PEERS['mlflow-go'], databaseUrl);
    default:
      throw new Error(`unknown server ${label}`);
  }
};
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

/** `count` runs with 20 params, 10 metrics and 10 tags each, all through the REST API. */
async function seedByRest(base, experimentId, count) {
  const runs = await createRuns(base, experimentId, count, 16);
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
}

async function search(base, experimentId, databaseUrl, label) {
  if (MLFLOW_SCHEMA.has(label) && SIZES.searchRuns > MLFLOW_SQL_SEED_ABOVE) {
    await seedMlflowBySql(databaseUrl, experimentId, SIZES.searchRuns);
  } else {
    await seedByRest(base, experimentId, SIZES.searchRuns);
  }
  // Both databases are vacuumed and analyzed before timing (MLflow's after its SQL seed), so neither
  // planner works from statistics autovacuum has not caught up with yet.
  await settle(databaseUrl);
  return timeSearch(base, experimentId);
}

/**
 * Issue 24's independent shape: REST-seeded runs, nothing vacuumed or analyzed by the harness, timed
 * right after seeding and again some time later (autovacuum may or may not have run meanwhile).
 */
async function searchRest(base, experimentId) {
  const t0 = performance.now();
  await seedByRest(base, experimentId, SIZES.searchRestRuns);
  const seedSeconds = (performance.now() - t0) / 1000;
  const atOnce = await timeSearch(base, experimentId, 15);
  await new Promise((resolve) => setTimeout(resolve, SIZES.searchRestWaitSeconds * 1000));
  const later = await timeSearch(base, experimentId, 15);
  return { p50: later.p50, p50AtOnce: atOnce.p50, seedSeconds, hits: later.hits };
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

async function timeSearch(base, experimentId, times = 20) {
  const request = {
    experiment_ids: [experimentId],
    filter: "metrics.val_auc > 0.85 and params.lr = '0.05'",
    order_by: ['metrics.val_auc DESC'],
    max_results: 100,
  };
  const hits = (JSON.parse(await call(base, 'runs/search', request)).runs ?? []).length;
  const latencies = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await call(base, 'runs/search', request);
    latencies.push(performance.now() - t0);
  }
  return { p50: percentile(latencies, 50), hits };
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
  try {
    for (let i = 0; i < 20; i++) {
      const s0 = performance.now();
      await call(base, `metrics/get-history-bulk-interval?run_ids=${runId}&metric_key=loss&max_results=320`, undefined, 'GET');
      latencies.push(performance.now() - s0);
    }
  } catch (error) {
    // FastTrackML has no downsampled route (404): its full-history figure still counts.
    return { fullSeconds: full / 1000, points, bulkError: error.message.split('\n')[0].slice(0, 160) };
  }
  return { fullSeconds: full / 1000, points, bulkP50: percentile(latencies, 50) };
}

async function measure(label, base, databaseUrl) {
  const experiment = async (name) => JSON.parse(await call(base, 'experiments/create', { name: `${name}-${randomBytes(3).toString('hex')}` })).experiment_id;
  const result = {};
  const step = async (name, key, run) => {
    if (!WORKLOADS.has(name)) return;
    console.error(`[${label}] ${name}`);
    // A peer that lacks a route (or fails under it) gets its error in the table, not the run ended.
    try {
      result[key] = await run(await experiment(name));
    } catch (error) {
      console.error(`[${label}] ${name} failed: ${error.message}`);
      result[key] = { error: error.message.split('\n')[0].slice(0, 160) };
    }
    await settle(databaseUrl);
  };
  await step('ingest', 'ingest', (id) => ingest(base, id));
  await step('log-metric', 'logMetric', (id) => logMetric(base, id));
  await step('search', 'search', (id) => search(base, id, databaseUrl, label));
  await step('search-rest', 'searchRest', (id) => searchRest(base, id));
  await step('history', 'history', (id) => history(base, id, databaseUrl));
  return result;
}

/** Each server in turn on its own scratch database (one server running at a time). */
async function measureAll() {
  const out = {};
  for (const label of SERVERS) {
    const db = await createDatabase(`bench_${label.replace('-', '_')}`);
    try {
      const server = await start(label, db.url).catch((error) => {
        // A server that does not come up is reported as such; the others' figures still count.
        console.error(`[${label}] did not start: ${error.message}`);
        out[label] = Object.fromEntries(ROWS.map((row) => [row.key, { error: `did not start: ${error.message.split('\n')[0]}` }]));
        return undefined;
      });
      if (!server) continue;
      out[label] = await measure(label, server.url, db.url);
      console.error(`[${label}] ${JSON.stringify(out[label])}`); // kept even if a later server's run is cut short
      server.child.kill();
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      if (env('BENCH_KEEP_DB', '') === '') await dropDatabase(db.name).catch(() => undefined);
      else console.error(`[${label}] kept database ${db.name}`);
    }
  }
  return out;
}

/** Workloads as rows: what is read from a result, and whether more is better. */
const ROWS = [
  { key: 'ingest', label: 'log-batch ingest, points/s', value: (r) => r.pointsPerSecond, more: true, goal: '≥ 15× MLflow, ≥ 1× peers' },
  { key: 'logMetric', label: `log-metric, req/s (${SIZES.logMetricClients} clients)`, value: (r) => r.rps, more: true, goal: '≥ 5×' },
  { key: 'logMetric', label: 'log-metric p99, ms', value: (r) => r.p99, digits: 1, more: false },
  {
    key: 'search',
    label: `search (${SIZES.searchRuns.toLocaleString('en-US')} runs, analyzed) p50, ms`,
    value: (r) => r.p50,
    digits: 1,
    more: false,
    goal: '≤ 50 ms, ≥ 10× MLflow, ≥ 2× mlflow-go',
  },
  {
    key: 'searchRest',
    label: `search (${SIZES.searchRestRuns.toLocaleString('en-US')} REST-seeded runs, not analyzed by the harness) p50 at once, ms`,
    value: (r) => r.p50AtOnce,
    digits: 1,
    more: false,
  },
  {
    key: 'searchRest',
    label: `the same, ${SIZES.searchRestWaitSeconds} s later, p50, ms`,
    value: (r) => r.p50,
    digits: 1,
    more: false,
    goal: '≥ 10× MLflow, ≥ 2× mlflow-go',
  },
  {
    key: 'history',
    label: `full history (${SIZES.historyPoints.toLocaleString('en-US')} points), s`,
    value: (r) => r.fullSeconds,
    digits: 2,
    more: false,
    goal: '≤ 3 s (1M)',
  },
  {
    key: 'history',
    label: '320-point downsampled history p50, ms',
    value: (r) => r.bulkP50,
    error: (r) => r.bulkError,
    digits: 1,
    more: false,
    goal: '≤ 30 ms',
  },
];

const fmt = (x, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** Cairn's advantage over `other` on a row (× faster), or undefined where either did not measure. */
function ratio(row, cairn, other) {
  const a = cairn?.[row.key] && !cairn[row.key].error ? row.value(cairn[row.key]) : undefined;
  const b = other?.[row.key] && !other[row.key].error ? row.value(other[row.key]) : undefined;
  if (!a || !b) return undefined;
  return row.more ? a / b : b / a;
}

function table(out) {
  const others = SERVERS.filter((s) => s !== 'cairn');
  const cell = (row, r) => {
    if (!r?.[row.key]) return '—';
    const error = r[row.key].error ?? row.error?.(r[row.key]);
    if (error) return `failed: ${error.replace(/\|/g, '/').slice(0, 60)}`;
    const v = row.value(r[row.key]);
    return v === undefined ? '—' : fmt(v, row.digits ?? 0);
  };
  const header = `| workload | ${SERVERS.map((s) => NAMES[s]).join(' | ')} | ${others.map((o) => `Cairn vs ${NAMES[o]}`).join(' | ')} | goal |`;
  const rule = `|---|${SERVERS.map(() => '---:').join('|')}|${others.map(() => '---:').join('|')}|---|`;
  const rows = ROWS.filter((row) => SERVERS.some((s) => out[s]?.[row.key])).map((row) => {
    const ratios = others.map((o) => {
      const x = ratio(row, out.cairn, out[o]);
      return x === undefined ? '' : `${fmt(x, 1)}×`;
    });
    return `| ${row.label} | ${SERVERS.map((s) => cell(row, out[s])).join(' | ')} | ${ratios.join(' | ')} | ${row.goal ?? ''} |`;
  });
  return [header, rule, ...rows].join('\n');
}

async function versions() {
  const v = {};
  if (SERVERS.includes('mlflow')) v.mlflow = execFileSync(MLFLOW, ['--version']).toString().trim();
  if (SERVERS.includes('fasttrackml')) v.fasttrackml = execFileSync(PEERS.fasttrackml, ['--version']).toString().trim().split('\n')[0];
  if (SERVERS.includes('mlflow-go')) {
    const python = path.join(path.dirname(PEERS['mlflow-go']), 'python');
    v['mlflow-go'] = execFileSync(python, [
      '-c',
      "import importlib.metadata as m; print('mlflow-go-backend', m.version('mlflow-go-backend'), 'on mlflow', m.version('mlflow'))",
    ])
      .toString()
      .trim();
  }
  return v;
}

async function main() {
  const settings = await postgresSettings();
  const serverVersion = await postgresVersion();
  const loadBefore = os.loadavg();
  const out = await measureAll();
  const loadAfter = os.loadavg();
  const doc = `# Tracking benchmark

Generated ${new Date().toISOString()} by \`node libs/tracking/bench/bench.mjs\`: Cairn's all-in-one \`server\` and
${Object.values(await versions())
  .map((v) => `\`${v}\``)
  .join(', ')}, each on its own scratch database of the same Postgres (${new URL(PG).host}, ${serverVersion}), one server at a time, same workload, one run.

Machine: ${os.cpus().length} CPUs, load average (1/5/15 min) ${loadBefore.map((l) => l.toFixed(1)).join('/')} before and ${loadAfter.map((l) => l.toFixed(1)).join('/')} after the run
(the servers, Postgres and the load generators share those CPUs; with other work on the machine the numbers swing by 2-3x).
Postgres settings in effect: ${settings}${settings.includes('fsync=off') ? ' (the test cluster of tools/infra: not durable; every server gains from it, and Cairn, which commits more often per request, probably more)' : ' (durable)'}.
Load: ingest, search and history from this script (Node); log-metric from tools/loadgen (Go, ${SIZES.logMetricClients} clients, ${SIZES.logMetricSeconds} s after a 5 s warm-up).
Cairn's events are relayed from the outbox to its in-process bus, where the registry's and artifacts' consumers apply each one too.

Sizes: ${JSON.stringify(SIZES)} (the issue's full sizes: BENCH_INGEST_POINTS=1000000 BENCH_SEARCH_RUNS=100000 BENCH_HISTORY_POINTS=1000000).

${table(out)}

Reproduce: \`BENCH_PG=$(bash tools/bench/durable-pg.sh up) && eval "$(bash tools/bench/peers.sh)" && node libs/tracking/bench/bench.mjs\`.
`;
  if (!PARTIAL) writeFileSync(path.join(here, 'BENCHMARKS.md'), doc);
  console.log(doc);
  console.log(JSON.stringify({ sizes: SIZES, loadBefore, loadAfter, ...out }, null, 2));
}

async function postgresVersion() {
  const client = new pg.Client({ connectionString: PG });
  await client.connect();
  try {
    return `Postgres ${(await client.query('SHOW server_version')).rows[0].server_version}`;
  } finally {
    await client.end();
  }
}

main().then(
  () => process.exit(0), // the harness stops the servers on exit
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
