#!/usr/bin/env node
// How alias resolution through MLflow's route grows with the size of the registry (issue 24's
// "alias resolution with 10 and 10,000 registered models"): Cairn alone, since the curve is about
// Cairn's read cache and indexes (seeding 10,000 models into `mlflow server` takes longer than the
// whole measurement; its figures at one model are in alias-resolution.bench.mjs).
//   BENCH_PG=<admin postgres url> node libs/registry/bench/alias-model-count.bench.mjs
//   [BENCH_ALIAS_MODEL_COUNTS=10,10000] [BENCH_ALIAS_SECONDS=10] [BENCH_ALIAS_CLIENTS=64]
// Each row: the registry holds N models, each with one version and `@champion`; the load generator's
// clients ask `registered-models/alias?name=<a model picked at random per request>&alias=champion`,
// closed loop (throughput) and polling every 25 ms from 256 clients (latency at an offered rate).
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, dropDatabase, env, loadgen, num, rssMiB, startCairn } from '../../../tools/bench/harness.mjs';

const PG = env('BENCH_PG', process.env.CAIRN_TEST_DATABASE_URL);
if (!PG) {
  console.error('set BENCH_PG (admin Postgres URL)');
  process.exit(2);
}
const COUNTS = env('BENCH_ALIAS_MODEL_COUNTS', '10,10000').split(',').map(Number);
const SECONDS = num('BENCH_ALIAS_SECONDS', 10);
const CLIENTS = num('BENCH_ALIAS_CLIENTS', 64);
const POLLERS = 256;
const INTERVAL_MS = 25;
// Requests in flight while seeding: enough to keep the server busy, few enough not to time out.
const SEED_CONCURRENCY = 32;
const run = loadgen();

async function call(base, route, body) {
  const response = await fetch(`${base}/api/2.0/mlflow/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`${route} -> ${response.status} ${(await response.text()).slice(0, 300)}`);
  await response.arrayBuffer();
}

const modelName = (i) => `count-bench-${String(i).padStart(6, '0')}`;

/** Models `from`..`to`-1, each with one version and `champion` → 1. */
async function seed(base, from, to) {
  let next = from;
  const worker = async () => {
    for (let i = next++; i < to; i = next++) {
      const name = modelName(i);
      await call(base, 'registered-models/create', { name });
      await call(base, 'model-versions/create', { name, source: `runs:/${i.toString(16).padStart(32, '0')}/model` });
      await call(base, 'registered-models/alias', { name, alias: 'champion', version: '1' });
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
}

async function main() {
  const db = await createDatabase(PG, 'bench_alias_count');
  const valuesFile = path.join(os.tmpdir(), `alias-count-${process.pid}.txt`);
  try {
    const cairn = await startCairn(db.url);
    const route = `${cairn.url}/api/2.0/mlflow/registered-models/alias?name={pick}&alias=champion`;
    const rows = [];
    let seeded = 0;
    for (const count of COUNTS) {
      const started = Date.now();
      await seed(cairn.url, seeded, count);
      const seedSeconds = (Date.now() - started) / 1000;
      seeded = Math.max(seeded, count);
      writeFileSync(valuesFile, Array.from({ length: count }, (_, i) => modelName(i)).join('\n'));
      const args = (seconds, clients, interval) => [
        '-url',
        route,
        '-values-file',
        valuesFile,
        '-clients',
        String(clients),
        '-duration',
        `${seconds}s`,
        ...(interval ? ['-interval', `${interval}ms`] : []),
      ];
      // A warm-up that asks every model at least once on average fills the cache, as serving pods would.
      await run(args(Math.max(2, Math.ceil(count / 5000)), CLIENTS));
      const load = os.loadavg()[0];
      const closed = await run(args(SECONDS, CLIENTS));
      const polled = await run(args(SECONDS, POLLERS, INTERVAL_MS));
      rows.push({ count, seedSeconds, load, closed, polled, rss: rssMiB(cairn.child.pid) });
      console.error(JSON.stringify(rows.at(-1)));
    }
    const line = (r) =>
      `| ${r.count.toLocaleString('en')} | ${Math.round(r.closed.rps).toLocaleString('en')} | ${r.closed.p99_ms.toFixed(1)} | ${Math.round(r.polled.rps).toLocaleString('en')} | ${r.polled.p99_ms.toFixed(1)} | ${r.closed.errors + r.polled.errors} | ${r.rss} | ${r.load.toFixed(1)} |`;
    console.log(`Alias resolution by registry size — Cairn all-in-one, ${new Date().toISOString()}, ${os.cpus().length} CPUs
| models | ${CLIENTS} clients req/s | p99 ms | ${POLLERS} pollers every ${INTERVAL_MS} ms req/s | p99 ms | errors | RSS MiB | load |
|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.map(line).join('\n')}`);
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    await dropDatabase(PG, db.name).catch(() => undefined);
    process.exit();
  }
}

await main();
