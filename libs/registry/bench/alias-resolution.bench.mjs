#!/usr/bin/env node
// Alias resolution under polling load, Cairn and the real `mlflow server` side by side on one
// Postgres, in one run (the registry issue's benchmark):
//   BENCH_PG=<admin postgres url> BENCH_MLFLOW=<venv>/bin/mlflow node libs/registry/bench/alias-resolution.bench.mjs
//   [BENCH_ALIAS_CLIENTS=256] [BENCH_ALIAS_SECONDS=10] [BENCH_ALIAS_INTERVAL_MS=25]
//   [BENCH_MLFLOW_GO=<mlflow-go-bench from tools/bench/peers.sh>: mlflow-go-backend's rows too]
// FastTrackML, the other peer, has no model registry (its registry routes answer 404).
// Load comes from tools/loadgen (Go, so it takes little CPU from the servers). Each server gets a
// closed-loop run (every client sends again as soon as answered: maximum throughput) and an
// open-loop run (every client polls every INTERVAL ms, as serving pods do: latency at an offered
// rate of clients/interval). MLflow's way to resolve an alias is GET registered-models/alias;
// Cairn serves that too, and its own resolve route with ETag/If-None-Match and long-poll watch.
// Staleness: how long after an alias move a long-polling watcher, and a plain 25 ms poller, see it.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createDatabase,
  dropDatabase,
  loadgen,
  num,
  pinProcessTree,
  requireBenchEnv,
  rssMiB,
  startCairn,
  startMlflow,
  startMlflowGo,
  startProcess,
} from '../../../tools/bench/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { PG, MLFLOW } = requireBenchEnv();
const CLIENTS = num('BENCH_ALIAS_CLIENTS', 256);
const SECONDS = num('BENCH_ALIAS_SECONDS', 10);
const INTERVAL_MS = num('BENCH_ALIAS_INTERVAL_MS', 25);
const FEW_CLIENTS = 8;
const MLFLOW_GO = process.env.BENCH_MLFLOW_GO ?? '';
const run = loadgen();

async function call(base, method, route, body) {
  const response = await fetch(`${base}/api/2.0/mlflow/${route}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${route} -> ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/**
 * One model with two versions and `champion` → 1 on each server. Sources differ only because each
 * validates its own way (MLflow wants a run_id with runs:/, Cairn an allowed scheme).
 */
async function seed(base, name, sourceOf) {
  await call(base, 'POST', 'registered-models/create', { name });
  for (const hex of ['a', 'b']) await call(base, 'POST', 'model-versions/create', { name, source: sourceOf(hex.repeat(32)) });
  await call(base, 'POST', 'registered-models/alias', { name, alias: 'champion', version: '1' });
}

/** One measured run, after a discarded 2 s warm-up of the same load (JIT, connection pools). */
const load = async (url, headers = [], interval = 0, clients = CLIENTS, options = {}) => {
  const args = (seconds) => [
    '-url',
    url,
    '-clients',
    String(clients),
    '-duration',
    `${seconds}s`,
    ...(interval ? ['-interval', `${interval}ms`] : []),
    ...headers.flatMap((h) => ['-header', h]),
  ];
  await run(args(2), options);
  return run(args(SECONDS), options);
};

/**
 * `work` with `server` pinned to CPU 1 and the load generator to CPU 0 (the server gets a core of
 * its own; Postgres stays free to use both), then unpinned. Undefined where taskset is missing.
 */
async function pinned(server, work) {
  if (os.cpus().length < 2 || !pinProcessTree(server.child.pid, '1')) return undefined;
  try {
    return await work({ cpus: '0' });
  } finally {
    pinProcessTree(server.child.pid, `0-${os.cpus().length - 1}`);
  }
}

/**
 * The measurement's floor: a Node HTTP server that answers every request 304 at once, doing nothing
 * else. Under the same polling load, its tail is what the machine and the load generator add to any
 * server's (the goal's 5 ms p99 cannot be seen below it).
 */
const NULL_SERVER = `require('node:http').createServer((q, s) => { s.writeHead(304, { etag: '"x"' }); s.end(); })
  .listen(0, '127.0.0.1', function () { console.log('listening at http://127.0.0.1:' + this.address().port); });`;

/** The floor for MLflow's route: a Node HTTP server answering 200 with a model version's JSON, doing nothing else. */
const NULL_JSON_SERVER = `const body = JSON.stringify({ model_version: { name: 'm', version: '1', creation_timestamp: 1, last_updated_timestamp: 1,
  current_stage: 'None', source: 'runs:/' + 'a'.repeat(32) + '/model', run_id: 'a'.repeat(32), status: 'READY', tags: [], aliases: ['champion'] } });
require('node:http').createServer((q, s) => { s.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }); s.end(body); })
  .listen(0, '127.0.0.1', function () { console.log('listening at http://127.0.0.1:' + this.address().port); });`;
// The connections the issue's measurement (wrk) used for MLflow's route.
const MID_CLIENTS = 64;

/** A GET on a fresh connection (no pooled socket the server may have closed meanwhile). */
function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, headers }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers }));
    });
    request.on('error', reject);
  });
}

async function staleness(cairn, name, resolvePath) {
  const etag = (await get(`${cairn}${resolvePath}`)).headers.etag;
  // A long-polling watcher, and a plain poller every INTERVAL_MS.
  const watch = get(`${cairn}${resolvePath}&wait=30s`, { 'if-none-match': etag });
  let pollerSaw;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const r = await get(`${cairn}${resolvePath}`, { 'if-none-match': etag });
      if (r.status === 200) {
        pollerSaw = Date.now();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const moved = Date.now();
  await call(cairn, 'POST', 'registered-models/alias', { name, alias: 'champion', version: '2' });
  const seen = await watch;
  const watchMs = Date.now() - moved;
  await Promise.race([poller, new Promise((resolve) => setTimeout(resolve, 5000))]);
  polling = false;
  return { watchStatus: seen.status, watchMs, pollMs: pollerSaw === undefined ? undefined : pollerSaw - moved };
}

async function main() {
  const cairnDb = await createDatabase(PG, 'bench_alias_cairn');
  const mlflowDb = await createDatabase(PG, 'bench_alias_mlflow');
  const goDb = MLFLOW_GO ? await createDatabase(PG, 'bench_alias_mlflow_go') : undefined;
  try {
    const cairn = await startCairn(cairnDb.url);
    const mlflow = await startMlflow(MLFLOW, mlflowDb.url);
    const name = `alias-bench-${Date.now()}`;
    await seed(cairn.url, name, (id) => `runs:/${id}/model`);
    await seed(mlflow.url, name, (id) => `s3://bench/${id}/model`);
    const go = goDb ? await startMlflowGo(MLFLOW_GO, goDb.url) : undefined;
    if (go) await seed(go.url, name, (id) => `s3://bench/${id}/model`);
    const mlflowRoute = `/api/2.0/mlflow/registered-models/alias?name=${name}&alias=champion`;
    // The other reads \`mlflow.pyfunc.load_model("models:/name@champion")\` makes.
    const modelRoute = `/api/2.0/mlflow/registered-models/get?name=${name}`;
    const downloadRoute = `/api/2.0/mlflow/model-versions/get-download-uri?name=${name}&version=1`;
    const resolvePath = `/api/2.0/cairn/registered-models/alias/resolve?name=${name}&alias=champion`;
    const etag = (await get(`${cairn.url}${resolvePath}`)).headers.etag;
    const loadBefore = os.loadavg()[0];

    // One load at a time (the object's properties are awaited in order).
    const results = {
      // MLflow's best case too: few clients, so its workers are not swamped by 256 connections.
      mlflowFew: await load(`${mlflow.url}${mlflowRoute}`, [], 0, FEW_CLIENTS),
      cairnMlflowRouteFew: await load(`${cairn.url}${mlflowRoute}`, [], 0, FEW_CLIENTS),
      mlflowClosed: await load(`${mlflow.url}${mlflowRoute}`),
      mlflowOpen: await load(`${mlflow.url}${mlflowRoute}`, [], INTERVAL_MS),
      cairnMlflowRouteClosed: await load(`${cairn.url}${mlflowRoute}`),
      mlflowMid: await load(`${mlflow.url}${mlflowRoute}`, [], 0, MID_CLIENTS),
      cairnMlflowRouteMid: await load(`${cairn.url}${mlflowRoute}`, [], 0, MID_CLIENTS),
      cairnMlflowRouteOpen: await load(`${cairn.url}${mlflowRoute}`, [], INTERVAL_MS),
      mlflowModelMid: await load(`${mlflow.url}${modelRoute}`, [], 0, MID_CLIENTS),
      cairnModelMid: await load(`${cairn.url}${modelRoute}`, [], 0, MID_CLIENTS),
      mlflowDownloadMid: await load(`${mlflow.url}${downloadRoute}`, [], 0, MID_CLIENTS),
      cairnDownloadMid: await load(`${cairn.url}${downloadRoute}`, [], 0, MID_CLIENTS),
      goMid: go && (await load(`${go.url}${mlflowRoute}`, [], 0, MID_CLIENTS)),
      goOpen: go && (await load(`${go.url}${mlflowRoute}`, [], INTERVAL_MS)),
      goModelMid: go && (await load(`${go.url}${modelRoute}`, [], 0, MID_CLIENTS)),
      goDownloadMid: go && (await load(`${go.url}${downloadRoute}`, [], 0, MID_CLIENTS)),
      cairnResolveClosed: await load(`${cairn.url}${resolvePath}`),
      cairnResolve304Closed: await load(`${cairn.url}${resolvePath}`, [`If-None-Match: ${etag}`]),
      cairnResolve304Open: await load(`${cairn.url}${resolvePath}`, [`If-None-Match: ${etag}`], INTERVAL_MS),
      mlflowFewPinned: await pinned(mlflow, (o) => load(`${mlflow.url}${mlflowRoute}`, [], 0, FEW_CLIENTS, o)),
      cairnResolve304OpenPinned: await pinned(cairn, (o) => load(`${cairn.url}${resolvePath}`, [`If-None-Match: ${etag}`], INTERVAL_MS, CLIENTS, o)),
    };
    const nullServer = await startProcess(process.execPath, ['-e', NULL_SERVER], {}, (out) => /listening at (http:\/\/\S+)/.exec(out)?.[1]);
    results.nullServer304Open = await load(`${nullServer.url}/`, [], INTERVAL_MS);
    nullServer.child.kill();
    const nullJsonServer = await startProcess(process.execPath, ['-e', NULL_JSON_SERVER], {}, (out) => /listening at (http:\/\/\S+)/.exec(out)?.[1]);
    results.nullServerJsonOpen = await load(`${nullJsonServer.url}/`, [], INTERVAL_MS);
    results.nullServerJsonMid = await load(`${nullJsonServer.url}/`, [], 0, MID_CLIENTS);
    nullJsonServer.child.kill();
    const memory = { cairn: rssMiB(cairn.child.pid), mlflow: rssMiB(mlflow.child.pid), mlflowGo: go && rssMiB(go.child.pid) };
    console.error(JSON.stringify({ results, memory }));
    const stale = await staleness(cairn.url, name, resolvePath);
    const version = execFileSync(MLFLOW, ['--version']).toString().trim();

    const row = (label, r) =>
      r ? `| ${label} | ${Math.round(r.rps)} | ${r.p50_ms.toFixed(2)} | ${r.p99_ms.toFixed(2)} | ${r.errors} |` : `| ${label} | not run (no taskset) | | | |`;
    const ratio = (a, b) => `${(a / b).toFixed(1)}×`;
    const r = results;
    const doc = `# Alias resolution benchmark

Generated by \`libs/registry/bench/alias-resolution.bench.mjs\` on ${new Date().toISOString()}.
Cairn's all-in-one \`server\` and ${version} (\`mlflow server\`, its default workers)${go ? ' and mlflow-go-backend 0.2.0 (on mlflow 2.22.5)' : ''} on the same Postgres (${new URL(PG).host}),
in one run. ${CLIENTS} clients from \`tools/loadgen\` (Go), ${SECONDS} s per row after a 2 s warm-up. Closed loop: each
client asks again as soon as it is answered. Open loop: each client polls every ${INTERVAL_MS} ms
(offered ${Math.round((CLIENTS * 1000) / INTERVAL_MS)} req/s), latency counted from the scheduled time.
Machine: ${os.cpus().length} CPUs (shared by servers, Postgres and load generator), 1-min load ${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after.

| Workload | req/s | p50 ms | p99 ms | errors |
|---|---:|---:|---:|---:|
${row(`MLflow \`GET registered-models/alias\`, ${FEW_CLIENTS} clients, closed loop`, r.mlflowFew)}
${row(`Cairn \`GET registered-models/alias\` (MLflow route), ${FEW_CLIENTS} clients, closed loop`, r.cairnMlflowRouteFew)}
${row('MLflow `GET registered-models/alias`, closed loop', r.mlflowClosed)}
${row(`MLflow \`GET registered-models/alias\`, polling every ${INTERVAL_MS} ms`, r.mlflowOpen)}
${row('Cairn `GET registered-models/alias` (MLflow route), closed loop', r.cairnMlflowRouteClosed)}
${row(`MLflow \`GET registered-models/alias\`, ${MID_CLIENTS} clients, closed loop`, r.mlflowMid)}
${row(`Cairn \`GET registered-models/alias\` (MLflow route), ${MID_CLIENTS} clients, closed loop`, r.cairnMlflowRouteMid)}
${row(`Cairn \`GET registered-models/alias\` (MLflow route), polling every ${INTERVAL_MS} ms`, r.cairnMlflowRouteOpen)}
${row(`Floor: a Node server answering 200 with a model version's JSON and nothing else, ${MID_CLIENTS} clients, closed loop`, r.nullServerJsonMid)}
${row(`Floor: the same, polling every ${INTERVAL_MS} ms`, r.nullServerJsonOpen)}
${row(`MLflow \`GET registered-models/get\`, ${MID_CLIENTS} clients, closed loop`, r.mlflowModelMid)}
${row(`Cairn \`GET registered-models/get\`, ${MID_CLIENTS} clients, closed loop`, r.cairnModelMid)}
${row(`MLflow \`GET model-versions/get-download-uri\`, ${MID_CLIENTS} clients, closed loop`, r.mlflowDownloadMid)}
${row(`Cairn \`GET model-versions/get-download-uri\`, ${MID_CLIENTS} clients, closed loop`, r.cairnDownloadMid)}
${
  go
    ? [
        row(`mlflow-go-backend \`GET registered-models/alias\`, ${MID_CLIENTS} clients, closed loop`, r.goMid),
        row(`mlflow-go-backend \`GET registered-models/alias\`, polling every ${INTERVAL_MS} ms`, r.goOpen),
        row(`mlflow-go-backend \`GET registered-models/get\`, ${MID_CLIENTS} clients, closed loop`, r.goModelMid),
        row(`mlflow-go-backend \`GET model-versions/get-download-uri\`, ${MID_CLIENTS} clients, closed loop`, r.goDownloadMid),
      ].join('\n')
    : '| mlflow-go-backend | not run (BENCH_MLFLOW_GO unset) | | | |'
}
${row('Cairn `GET …/alias/resolve` (200), closed loop', r.cairnResolveClosed)}
${row('Cairn `GET …/alias/resolve` with If-None-Match (304), closed loop', r.cairnResolve304Closed)}
${row(`Cairn \`GET …/alias/resolve\` with If-None-Match, polling every ${INTERVAL_MS} ms`, r.cairnResolve304Open)}
${row(`Floor: a Node server answering 304 and nothing else, polling every ${INTERVAL_MS} ms`, r.nullServer304Open)}
${row(`MLflow \`GET registered-models/alias\`, ${FEW_CLIENTS} clients, closed loop — server pinned to CPU 1, load to CPU 0`, r.mlflowFewPinned)}
${row(`Cairn \`GET …/alias/resolve\` with If-None-Match, polling every ${INTERVAL_MS} ms — server pinned to CPU 1, load to CPU 0`, r.cairnResolve304OpenPinned)}

The last two rows are an experiment on where the tail comes from: each server gets a core of its own
(\`taskset\`; MLflow's workers all on CPU 1, the Node server's GC and I/O threads with its event loop
on CPU 1, Postgres unpinned) and the load generator the other. If the tail were the load generator
preempting the server, it would shrink there.

Ratios (Cairn / MLflow): same MLflow route, ${FEW_CLIENTS} clients ${ratio(r.cairnMlflowRouteFew.rps, r.mlflowFew.rps)}, ${MID_CLIENTS} clients ${ratio(r.cairnMlflowRouteMid.rps, r.mlflowMid.rps)}, ${CLIENTS} clients ${ratio(r.cairnMlflowRouteClosed.rps, r.mlflowClosed.rps)};
\`registered-models/get\` ${ratio(r.cairnModelMid.rps, r.mlflowModelMid.rps)}, \`get-download-uri\` ${ratio(r.cairnDownloadMid.rps, r.mlflowDownloadMid.rps)} (${MID_CLIENTS} clients);
MLflow's route polled every ${INTERVAL_MS} ms by ${CLIENTS} clients: p99 ${r.cairnMlflowRouteOpen.p99_ms.toFixed(2)} ms vs the floor's ${r.nullServerJsonOpen.p99_ms.toFixed(2)} ms (${(r.cairnMlflowRouteOpen.p99_ms / r.nullServerJsonOpen.p99_ms).toFixed(2)}×; goal ≤ 1.5×);
${
  go
    ? `Cairn / mlflow-go-backend (${MID_CLIENTS} clients): \`registered-models/alias\` ${ratio(r.cairnMlflowRouteMid.rps, r.goMid.rps)}, \`registered-models/get\` ${ratio(r.cairnModelMid.rps, r.goModelMid.rps)}, \`get-download-uri\` ${ratio(r.cairnDownloadMid.rps, r.goDownloadMid.rps)}; polled p99 ${r.goOpen.p99_ms.toFixed(1)} ms (mlflow-go) vs ${r.cairnMlflowRouteOpen.p99_ms.toFixed(1)} ms (Cairn);\n`
    : ''
}resolve with ETag (${CLIENTS} clients) vs MLflow's best (${FEW_CLIENTS} clients) ${ratio(r.cairnResolve304Closed.rps, r.mlflowFew.rps)} throughput;
polling p99 ${r.mlflowOpen.p99_ms.toFixed(1)} ms (MLflow) vs ${r.cairnResolve304Open.p99_ms.toFixed(1)} ms (Cairn).

Staleness after an alias move: long-poll watcher returned ${stale.watchStatus} after ${stale.watchMs} ms; a
${INTERVAL_MS} ms poller saw the new version after ${stale.pollMs ?? 'more than 5000'} ms (goal ≤ 1 s).

Resident memory after the runs: Cairn ${memory.cairn} MiB, MLflow ${memory.mlflow} MiB (all workers)${go ? `, mlflow-go-backend ${memory.mlflowGo} MiB (its Go server; the Python server it starts for other routes is a separate process tree)` : ''}.

Goals: resolve (issue 5) ≥ 10k req/s and p99 ≤ 5 ms with 256 polling clients, ≥ 10× MLflow, staleness ≤ 1 s;
MLflow's route (issue 24) ≥ 10k req/s polled, p99 within 1.5× of the do-nothing floor, ≥ 10× \`mlflow server\`.

Reproduce: \`BENCH_PG=<admin postgres url> BENCH_MLFLOW=<venv>/bin/mlflow node libs/registry/bench/alias-resolution.bench.mjs\`
(the venv needs \`mlflow\` and \`psycopg2-binary\`; \`go\` builds the load generator).
`;
    writeFileSync(path.join(here, 'BENCHMARKS.md'), doc);
    console.log(doc);
    console.log(JSON.stringify({ results, memory, stale }, null, 2));
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    await dropDatabase(PG, cairnDb.name).catch(() => undefined);
    await dropDatabase(PG, mlflowDb.name).catch(() => undefined);
    if (goDb) await dropDatabase(PG, goDb.name).catch(() => undefined);
    process.exit();
  }
}

await main();
