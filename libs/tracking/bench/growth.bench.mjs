#!/usr/bin/env node
// How tracking's cost grows with what is stored (issue 24): ingest throughput with N points
// already stored, full history of one series at N points, and storage bytes per point (log-batch
// chunks, log-metric one-point chunks before and after compaction). Cairn only, one database per
// size, on the Postgres BENCH_PG points at (run it on a durable one). Prints JSON; writes nothing.
//
//   BENCH_PG=postgres://cairn@127.0.0.1:56432/postgres node libs/tracking/bench/growth.bench.mjs
//
//   BENCH_GROWTH_STORED=0,1000000,10000000   points stored before the ingest is timed, as one
//                                            series: also the history sizes measured
//   BENCH_GROWTH_HISTORY_SMALL=10000         a small series' history, timed in every database
//   BENCH_GROWTH_LOG_METRIC_POINTS=5000      single log-metric points for the storage figures
//   BENCH_CLIENTS=8  BENCH_INGEST_BATCHES=160  (8 clients × 20 × 1000 points, as the ingest)
import os from 'node:os';
import pg from 'pg';
import { createDatabase, dropDatabase, env, num, startCairn } from '../../../tools/bench/harness.mjs';

const PG = env('BENCH_PG', process.env.CAIRN_TEST_DATABASE_URL);
if (!PG) {
  console.error('set BENCH_PG (admin Postgres URL)');
  process.exit(2);
}
const STORED = env('BENCH_GROWTH_STORED', '0,1000000,10000000').split(',').map(Number);
const SMALL_HISTORY = num('BENCH_GROWTH_HISTORY_SMALL', 10_000);
const LOG_METRIC_POINTS = num('BENCH_GROWTH_LOG_METRIC_POINTS', 5000);
const CLIENTS = num('BENCH_CLIENTS', 8);
const INGEST_BATCHES = num('BENCH_INGEST_BATCHES', 160);

async function call(base, route, body, method = 'POST') {
  const response = await fetch(
    `${base}/api/2.0/mlflow/${route}`,
    method === 'GET' ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
  );
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${route} -> ${response.status} ${text.slice(0, 200)}`);
  return text;
}
const pool = (n, work) => Promise.all(Array.from({ length: n }, (_, i) => work(i)));
const newRun = async (base, experimentId) =>
  JSON.parse(await call(base, 'runs/create', { experiment_id: experimentId, start_time: Date.now() })).run.info.run_id;

/** `points` points of one series, 1000 per log-batch, steps growing (a training loop's shape). */
async function seedSeries(base, runId, key, points, clients = CLIENTS) {
  const batches = Math.ceil(points / 1000);
  let next = 0;
  await pool(clients, async () => {
    while (next < batches) {
      const b = next++;
      const n = Math.min(1000, points - b * 1000);
      await call(base, 'runs/log-batch', {
        run_id: runId,
        metrics: Array.from({ length: n }, (_, i) => ({ key, value: Math.random(), timestamp: 1_700_000_000_000 + b, step: b * 1000 + i })),
      });
    }
  });
}

async function timedIngest(base, experimentId) {
  const runs = await Promise.all(Array.from({ length: CLIENTS }, () => newRun(base, experimentId)));
  let next = 0;
  const t0 = performance.now();
  await pool(CLIENTS, async (c) => {
    while (next < INGEST_BATCHES) {
      const b = next++;
      const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: `m${i % 10}`, value: Math.random(), timestamp: Date.now(), step: b * 1000 + i }));
      await call(base, 'runs/log-batch', { run_id: runs[c], metrics });
    }
  });
  return Math.round((INGEST_BATCHES * 1000) / ((performance.now() - t0) / 1000));
}

async function timedHistory(base, runId, key) {
  const t0 = performance.now();
  const response = await fetch(`${base}/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=${key}`);
  let bytes = 0;
  for await (const piece of response.body) bytes += piece.length;
  return { seconds: Number(((performance.now() - t0) / 1000).toFixed(2)), megabytes: Math.round(bytes / 1e6) };
}

async function sql(url, text, params) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** Bytes per point of one series' chunks: the rows themselves, and the chunk table with its indexes. */
async function seriesBytes(url, runId, key) {
  const [row] = await sql(
    url,
    `SELECT sum(pg_column_size(c.*))::float8 / sum(points) AS row_bytes, sum(points)::int AS points, count(*)::int AS chunks,
            avg(pg_column_size(c.*)) FILTER (WHERE points = 1) AS one_point_chunk
     FROM tracking.metric_chunks c WHERE run_uuid = $1 AND key = $2`,
    [runId, key],
  );
  // The compaction job may have merged some already: a one-point chunk's own size is the figure before it.
  const onePointChunk = row.one_point_chunk === null ? undefined : Math.round(row.one_point_chunk);
  return { rowBytesPerPoint: Math.round(row.row_bytes), points: row.points, chunks: row.chunks, onePointChunk };
}

async function tableBytesPerPoint(url) {
  const [row] = await sql(
    url,
    `SELECT pg_total_relation_size('tracking.metric_chunks')::float8 / nullif((SELECT sum(points) FROM tracking.metric_chunks), 0) AS chunks,
            pg_total_relation_size('tracking.events')::float8 / nullif((SELECT sum(points) FROM tracking.metric_chunks), 0) AS events`,
  );
  return { chunkTable: Math.round(row.chunks), eventLog: Math.round(row.events) };
}

async function measure(stored) {
  const db = await createDatabase(PG, 'bench_growth');
  try {
    const server = await startCairn(db.url);
    const base = server.url;
    const experimentId = JSON.parse(await call(base, 'experiments/create', { name: `growth-${stored}` })).experiment_id;
    const out = { stored };
    const big = await newRun(base, experimentId);
    const t0 = performance.now();
    if (stored > 0) await seedSeries(base, big, 'loss', stored);
    out.seedPointsPerSecond = stored > 0 ? Math.round(stored / ((performance.now() - t0) / 1000)) : undefined;
    await sql(db.url, 'VACUUM (ANALYZE)');
    out.loadBefore = os.loadavg()[0];
    out.ingestPointsPerSecond = await timedIngest(base, experimentId);
    if (stored > 0) out.history = await timedHistory(base, big, 'loss');
    const small = await newRun(base, experimentId);
    await seedSeries(base, small, 'acc', SMALL_HISTORY, 1);
    out.smallHistory = await timedHistory(base, small, 'acc');
    if (stored === 0) {
      out.bytesPerPoint = { logBatch: (await seriesBytes(db.url, small, 'acc')).rowBytesPerPoint };
      // log-metric: one request per point, then what the compaction job leaves.
      const single = await newRun(base, experimentId);
      let step = 0;
      await pool(CLIENTS, async () => {
        while (step < LOG_METRIC_POINTS) {
          const s = step++;
          await call(base, 'runs/log-metric', { run_id: single, key: 'lr', value: Math.random(), timestamp: Date.now(), step: s });
        }
      });
      out.bytesPerPoint.logMetric = await seriesBytes(db.url, single, 'lr');
      const t1 = performance.now();
      for (;;) {
        const [{ small: left }] = await sql(db.url, `SELECT count(*)::int AS small FROM tracking.metric_chunks WHERE run_uuid = $1 AND points < 32`, [single]);
        if (left <= 1 || performance.now() - t1 > 120_000) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      out.bytesPerPoint.logMetricCompacted = { ...(await seriesBytes(db.url, single, 'lr')), afterSeconds: Math.round((performance.now() - t1) / 1000) };
      out.bytesPerPoint.logMetricHistory = await timedHistory(base, single, 'lr');
      await sql(db.url, 'VACUUM FULL tracking.metric_chunks');
      out.bytesPerPoint.tables = await tableBytesPerPoint(db.url);
    }
    out.loadAfter = os.loadavg()[0];
    server.child.kill();
    return out;
  } finally {
    await dropDatabase(PG, db.name).catch(() => undefined);
  }
}

const results = [];
for (const stored of STORED) {
  console.error(`[growth] ${stored} points stored`);
  results.push(await measure(stored));
  console.error(JSON.stringify(results[results.length - 1]));
}
console.log(JSON.stringify(results, null, 2));
process.exit(0);
