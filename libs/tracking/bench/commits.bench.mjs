#!/usr/bin/env node
// What one acknowledged write costs Postgres in commits and WAL flushes (issue 24, ADR 0016):
// Cairn's all-in-one server on a fresh database, log-metric and log-batch requests from CLIENTS
// clients, and the deltas of pg_stat_database.xact_commit (that database) and of the WAL fsyncs
// in pg_stat_io (Postgres 16+; the whole cluster, so run it on a private one) per request.
//
//   BENCH_PG=postgres://cairn@127.0.0.1:56432/postgres node libs/tracking/bench/commits.bench.mjs
import pg from 'pg';
import { createDatabase, dropDatabase, env, num, startCairn } from '../../../tools/bench/harness.mjs';

const PG = env('BENCH_PG', process.env.CAIRN_TEST_DATABASE_URL);
const CLIENTS = num('BENCH_CLIENTS', 8);
const REQUESTS = num('BENCH_COMMITS_REQUESTS', 2000);

async function call(base, route, body) {
  const response = await fetch(`${base}/api/2.0/mlflow/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${route} -> ${response.status} ${text.slice(0, 200)}`);
  return text;
}

async function counters(admin, name) {
  // Backends report their statistics at most once a second: wait for the last ones.
  await new Promise((r) => setTimeout(r, 1500));
  const { rows } = await admin.query(
    `SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = $1)::float8 AS commits,
            (SELECT coalesce(sum(fsyncs), 0) FROM pg_stat_io WHERE object = 'wal')::float8 AS fsyncs`,
    [name],
  );
  return rows[0];
}

async function measure(base, admin, name, route, body) {
  const runs = await Promise.all(
    Array.from({ length: CLIENTS }, async () => JSON.parse(await call(base, 'runs/create', { experiment_id: '0', start_time: Date.now() })).run.info.run_id),
  );
  const before = await counters(admin, name);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    runs.map(async (runId) => {
      while (next < REQUESTS) await call(base, route, body(runId, next++));
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const after = await counters(admin, name);
  const per = (k) => Number(((after[k] - before[k]) / REQUESTS).toFixed(2));
  return { requestsPerSecond: Math.round(REQUESTS / seconds), commitsPerRequest: per('commits'), walFsyncsPerRequest: per('fsyncs') };
}

const db = await createDatabase(PG, 'bench_commits');
const admin = new pg.Client({ connectionString: PG });
await admin.connect();
try {
  const { url } = await startCairn(db.url);
  const logMetric = await measure(url, admin, db.name, 'runs/log-metric', (runId, i) => ({
    run_id: runId,
    key: 'loss',
    value: Math.random(),
    timestamp: Date.now(),
    step: i,
  }));
  const logBatch = await measure(url, admin, db.name, 'runs/log-batch', (runId, i) => ({
    run_id: runId,
    metrics: Array.from({ length: 1000 }, (_, j) => ({ key: `m${j % 10}`, value: Math.random(), timestamp: Date.now(), step: i * 1000 + j })),
  }));
  console.log(JSON.stringify({ clients: CLIENTS, requests: REQUESTS, logMetric, logBatch }));
} finally {
  await admin.end();
  await dropDatabase(PG, db.name).catch(() => undefined);
  process.exit(0);
}
