#!/usr/bin/env node
// Web UI benchmark (issue 19): Cairn's own UI on the all-in-one server and MLflow's own UI on the
// real `mlflow server` (the build inside the pinned wheel), over the same data, driven by Debian's
// chromium through playwright-core, one after the other in one run. Not a test: it reports.
//
//   BENCH_PG=<admin postgres url> BENCH_MLFLOW=<venv with mlflow + psycopg2-binary>/bin/mlflow \
//   node apps/web/bench/ui.bench.mjs
//
// Sizes (the issue's by default): BENCH_WEB_RUNS=100000 runs of 20 params and 10 metrics,
// BENCH_WEB_STEPS=100000 steps of 10 metrics in one more run, BENCH_WEB_COMPARE=200 runs compared.
// Seeding takes most of the time; to measure again over the same data:
//   BENCH_WEB_KEEP=1                    keep both databases (their URLs are printed)
//   BENCH_WEB_CAIRN_DB=<url> BENCH_WEB_MLFLOW_DB=<url>   reuse kept databases (no seeding)
//   BENCH_WEB_ONLY=cairn|mlflow         one side only
//
// Cairn is seeded through its REST API (runs/create + one log-batch per run, 16 clients; the
// history run 1000 points per log-batch); MLflow through SQL into its own schema (its REST API
// creates ~150 runs/s here: 100k runs would take over ten minutes), the same rows its log-batch
// would write (runs, params, metrics, latest_metrics). What is timed is the browser either way.
//
// Measured per UI, from a fresh tab (the HTTP cache warm from one unmeasured visit):
//   table   navigation to the experiment → the runs table shows its first row
//   sort    the view changed to "metric m0, descending" → the first row is the run with the highest m0
//   chart   navigation to the history run's metrics → all 10 metric charts drawn
//   compare navigation to the comparison of 200 runs → its table and chart are shown; the longest
//           task (PerformanceObserver 'longtask') from navigation until 2 s after that
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { createDatabase, dropDatabase, env, num, requireBenchEnv, startCairn, startMlflow } from '../../../tools/bench/harness.mjs';

const { PG, MLFLOW } = requireBenchEnv();
const RUNS = num('BENCH_WEB_RUNS', 100_000);
const STEPS = num('BENCH_WEB_STEPS', 100_000);
const COMPARE = num('BENCH_WEB_COMPARE', 200);
const REPEAT = num('BENCH_WEB_REPEAT', 3);
const SEED_SECONDS = num('BENCH_WEB_SEED_SECONDS', Infinity);
const KEEP = env('BENCH_WEB_KEEP', '') !== '';
const ONLY = env('BENCH_WEB_ONLY', '');
const CHROMIUM = env('CAIRN_TEST_CHROMIUM', '/usr/bin/chromium');
const METRICS = Array.from({ length: 10 }, (_, j) => `m${j}`);
const PARAMS = Array.from({ length: 20 }, (_, j) => `p${j}`);
const GOAL_MS = 1000;
const LONG_TASK_GOAL_MS = 200;

const log = (...args) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...args);

async function call(base, route, body, method = 'POST') {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch(
        `${base}/api/2.0/mlflow/${route}`,
        method === 'GET' ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      );
      const text = await response.text();
      if (response.status !== 200) throw new Error(`${route} -> ${response.status} ${text.slice(0, 200)}`);
      return JSON.parse(text);
    } catch (error) {
      // A socket reset under load is retried (a 4xx is not: it would fail again).
      if (attempt >= 3 || /-> 4\d\d/.test(String(error))) throw error;
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }
}

/** The values run i logs: deterministic, so both servers hold the same data. */
const paramValue = (i, j) => String((i * 7 + j * 3) % 97);
const metricValue = (i, j) => (((i + 1) * 2654435761 * (j + 1)) % 1_000_003) / 1_000_003;
const historyValue = (step, j) => Math.exp(-step / 20_000) * (1 + j / 10) + 0.05 * Math.sin(step / 50 + j);

async function pool(clients, count, work) {
  let next = 0;
  let done = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) {
        const i = next++;
        await work(i);
        if (++done % 10_000 === 0) log(`  ${done}/${count} (${Math.round(done / ((Date.now() - started) / 1000))}/s)`);
      }
    }),
  );
}

async function seedCairn(base) {
  const { experiment_id: experimentId } = await call(base, 'experiments/create', { name: `web-bench-${randomBytes(3).toString('hex')}` });
  // The history run first: a seed cut short by BENCH_WEB_SEED_SECONDS still has it.
  const { run } = await call(base, 'runs/create', { experiment_id: experimentId, start_time: 1_800_000_000_000, run_name: 'history' });
  const historyRunId = run.info.run_id;
  const perBatch = 100; // steps per log-batch: 100 steps × 10 metrics = 1000 points
  const historyStarted = Date.now();
  await pool(4, Math.ceil(STEPS / perBatch), async (b) => {
    const metrics = [];
    for (let step = b * perBatch; step < Math.min(STEPS, (b + 1) * perBatch); step++) {
      METRICS.forEach((key, j) => metrics.push({ key, value: historyValue(step, j), timestamp: 1_800_000_000_000 + step, step }));
    }
    await call(base, 'runs/log-batch', { run_id: historyRunId, metrics });
  });
  const historySeconds = (Date.now() - historyStarted) / 1000;
  const started = Date.now();
  let seeded = 0;
  await pool(16, RUNS, async (i) => {
    if (Date.now() - started > SEED_SECONDS * 1000) return;
    const created = await call(base, 'runs/create', { experiment_id: experimentId, start_time: 1_700_000_000_000 + i, run_name: `r${i}` });
    await call(base, 'runs/log-batch', {
      run_id: created.run.info.run_id,
      params: PARAMS.map((key, j) => ({ key, value: paramValue(i, j) })),
      metrics: METRICS.map((key, j) => ({ key, value: metricValue(i, j), timestamp: 1_700_000_000_000 + i, step: 0 })),
    });
    seeded++;
  });
  // Runs r0…r(seeded-1), give or take the few in flight at the deadline: counted again below.
  const runs = await countRuns(base, experimentId);
  await call(base, 'experiments/set-experiment-tag', { experiment_id: experimentId, key: 'bench.runs', value: String(runs) });
  return {
    experimentId,
    historyRunId,
    runs,
    seed: `REST API: ${runs} runs in ${((Date.now() - started) / 1000).toFixed(0)} s (16 clients), 10 × ${STEPS} steps in ${historySeconds.toFixed(0)} s`,
  };
}

/** The runs of an experiment other than the history run (the largest `rN` + 1: runs are named in order). */
async function countRuns(base, experimentId) {
  const { runs } = await call(base, 'runs/search', {
    experiment_ids: [experimentId],
    order_by: ['attributes.start_time DESC'],
    filter: "attributes.run_name != 'history'",
    max_results: 1,
  });
  return runs.length === 0 ? 0 : Number(runs[0].info.run_name.slice(1)) + 1;
}

async function seedMlflow(base, databaseUrl, count) {
  const { experiment_id: experimentId } = await call(base, 'experiments/create', { name: `web-bench-${randomBytes(3).toString('hex')}` });
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const started = Date.now();
  try {
    await client.query('BEGIN');
    const uuid = (i) => `md5('web' || ${i})`;
    await client.query(
      `INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)
       SELECT ${uuid('i')}, 'r' || i, 'LOCAL', '', '', 'bench', 'RUNNING', 1700000000000 + i, NULL::bigint, '', 'active',
              'mlflow-artifacts:/' || $1 || '/' || ${uuid('i')} || '/artifacts', $1::int
       FROM generate_series(0, $2 - 1) AS i
       UNION ALL
       SELECT md5('web-history'), 'history', 'LOCAL', '', '', 'bench', 'RUNNING', 1800000000000, NULL::bigint, '', 'active',
              'mlflow-artifacts:/' || $1 || '/' || md5('web-history') || '/artifacts', $1::int`,
      [experimentId, count],
    );
    await client.query(
      `INSERT INTO tags (key, value, run_uuid)
       SELECT 'mlflow.runName', 'r' || i, ${uuid('i')} FROM generate_series(0, $1 - 1) AS i
       UNION ALL SELECT 'mlflow.runName', 'history', md5('web-history')`,
      [count],
    );
    await client.query(
      `INSERT INTO params (key, value, run_uuid)
       SELECT 'p' || j, ((i * 7 + j * 3) % 97)::text, ${uuid('i')} FROM generate_series(0, $1 - 1) AS i, generate_series(0, 19) AS j`,
      [count],
    );
    // metricValue(i, j) in SQL: numeric arithmetic, so no 64-bit overflow.
    for (const table of ['metrics', 'latest_metrics']) {
      await client.query(
        `INSERT INTO ${table} (key, value, timestamp, step, is_nan, run_uuid)
         SELECT 'm' || j, (((i + 1)::numeric * 2654435761 * (j + 1)) % 1000003) / 1000003.0, 1700000000000 + i, 0, false, ${uuid('i')}
         FROM generate_series(0, $1 - 1) AS i, generate_series(0, 9) AS j`,
        [count],
      );
    }
    await client.query(
      `INSERT INTO metrics (key, value, timestamp, step, is_nan, run_uuid)
       SELECT 'm' || j, exp(-s / 20000.0) * (1 + j / 10.0) + 0.05 * sin(s / 50.0 + j), 1800000000000 + s, s, false, md5('web-history')
       FROM generate_series(0, $1 - 1) AS s, generate_series(0, 9) AS j`,
      [STEPS],
    );
    await client.query(
      `INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid)
       SELECT 'm' || j, exp(-s / 20000.0) * (1 + j / 10.0) + 0.05 * sin(s / 50.0 + j), 1800000000000 + s, s, false, md5('web-history')
       FROM (SELECT $1::int - 1 AS s) AS last, generate_series(0, 9) AS j`,
      [STEPS],
    );
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
  const { runs } = await call(base, 'runs/search', { experiment_ids: [experimentId], filter: "attributes.run_name = 'history'", max_results: 1 });
  await call(base, 'experiments/set-experiment-tag', { experiment_id: experimentId, key: 'bench.runs', value: String(count) });
  return {
    experimentId,
    historyRunId: runs[0].info.run_id,
    runs: count,
    seed: `SQL into its schema: ${count} runs in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  };
}

async function settle(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('VACUUM (ANALYZE)');
  } finally {
    await client.end();
  }
}

/** Where each UI puts a page, and how a page shows that it is there. */
const UIS = {
  cairn: {
    runs: (e) => `#/experiments/${e}/runs`,
    sorted: (e) => `#/experiments/${e}/runs?order=${encodeURIComponent('metrics.m0 DESC')}&cols=${encodeURIComponent('metrics.m0')}`,
    firstRowName: "document.querySelector('.runs-grid .body-row a')?.textContent?.trim()",
    chart: (e, r) => `#/experiments/${e}/runs/${r}?tab=metrics`,
    chartsDrawn: "document.querySelectorAll('.charts .uplot canvas').length",
    compare: (e, ids) => `#/compare-runs?runs=${encodeURIComponent(JSON.stringify(ids))}&experiments=${encodeURIComponent(JSON.stringify([e]))}`,
    compareShown: "document.querySelectorAll('table.compare tbody tr').length > 0 && document.querySelector('.uplot canvas') !== null",
  },
  mlflow: {
    runs: (e) => `#/experiments/${e}/runs`,
    sorted: (e) => `#/experiments/${e}/runs?orderByKey=${encodeURIComponent('metrics.`m0`')}&orderByAsc=false`,
    // ag-grid: the run-name cell of the first row, in the pinned-left columns.
    firstRowName:
      'document.querySelector(\'.ag-pinned-left-cols-container .ag-row[row-index="0"] [col-id*="Run Name"]\')?.textContent?.trim().replace(/^#[0-9a-f]{6}/i, \'\')',
    chart: (e, r) => `#/experiments/${e}/runs/${r}/model-metrics`,
    // Plotly: a chart is drawn once its line has a path (charts are drawn as they scroll into view: the
    // chart visits use a viewport tall enough for all ten).
    chartsDrawn:
      "[...document.querySelectorAll('.js-plotly-plot')].filter((p) => (p.querySelector('.scatterlayer path.js-line')?.getAttribute('d') ?? '').length > 10).length",
    compare: (e, ids) => `#/compare-runs?runs=${encodeURIComponent(JSON.stringify(ids))}&experiments=${encodeURIComponent(JSON.stringify([e]))}`,
    compareShown: "document.querySelectorAll('table tbody tr').length > 0 && document.querySelector('.js-plotly-plot') !== null",
  },
};

const LONG_TASKS = `
  window.__longTasks = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
    .observe({ type: 'longtask', buffered: true });`;

async function waitUntil(page, expression, test, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await page.evaluate(expression).catch(() => undefined);
    if (test(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression} (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measureUi(browser, label, base, data) {
  const ui = UIS[label];
  const newPage = async (height = 900) => {
    const page = await browser.newPage({ viewport: { width: 1400, height } });
    await page.addInitScript(LONG_TASKS);
    return page;
  };
  const timed = async (url, expression, test, height) => {
    const page = await newPage(height);
    const t0 = performance.now();
    await page.goto(`${base}/${url}`);
    await waitUntil(page, expression, test);
    const ms = performance.now() - t0;
    const longest = Math.max(0, ...(await page.evaluate('window.__longTasks')));
    return { page, ms, longest };
  };
  const out = {};
  // One unmeasured visit: the UI's bundle in the HTTP cache, both servers' connections warm.
  (await timed(ui.runs(data.experimentId), ui.firstRowName, Boolean)).page.close();

  const table = [];
  for (let i = 0; i < REPEAT; i++) {
    const { page, ms } = await timed(ui.runs(data.experimentId), ui.firstRowName, Boolean);
    table.push(ms);
    await page.close();
  }
  out.table = median(table);
  log(`[${label}] table ${table.map(Math.round).join(', ')} ms`);

  const sort = [];
  for (let i = 0; i < REPEAT; i++) {
    const { page } = await timed(ui.runs(data.experimentId), ui.firstRowName, Boolean);
    const t0 = performance.now();
    await page.evaluate(`location.hash = ${JSON.stringify(ui.sorted(data.experimentId))}`);
    // Not there in 2 minutes: counted as never (∞), and the run goes on.
    const shown = await waitUntil(page, ui.firstRowName, (name) => name === data.topByM0).then(
      () => true,
      (error) => log(`[${label}] sort: ${String(error).slice(0, 300)}`),
    );
    sort.push(shown ? performance.now() - t0 : Infinity);
    await page.close();
  }
  out.sort = median(sort);
  log(`[${label}] sort ${sort.map(Math.round).join(', ')} ms`);

  const chart = [];
  for (let i = 0; i < REPEAT; i++) {
    const { page, ms } = await timed(ui.chart(data.experimentId, data.historyRunId), ui.chartsDrawn, (n) => n >= METRICS.length, 2400);
    chart.push(ms);
    await page.close();
  }
  out.chart = median(chart);
  log(`[${label}] chart ${chart.map(Math.round).join(', ')} ms`);

  const compare = [];
  const longest = [];
  for (let i = 0; i < REPEAT; i++) {
    const { page, ms } = await timed(ui.compare(data.experimentId, data.compareIds), ui.compareShown, Boolean);
    await new Promise((r) => setTimeout(r, 2000));
    longest.push(Math.max(0, ...(await page.evaluate('window.__longTasks'))));
    compare.push(ms);
    await page.close();
  }
  out.compare = median(compare);
  out.compareLongestTask = Math.max(...longest);
  log(`[${label}] compare ${compare.map(Math.round).join(', ')} ms, longest task ${longest.map(Math.round).join(', ')} ms`);
  return out;
}

async function side(label, runs) {
  const reuse = env(label === 'cairn' ? 'BENCH_WEB_CAIRN_DB' : 'BENCH_WEB_MLFLOW_DB', '');
  const db = reuse !== '' ? { name: new URL(reuse).pathname.slice(1), url: reuse } : await createDatabase(PG, `bench_web_${label}`);
  try {
    const server = label === 'cairn' ? await startCairn(db.url) : await startMlflow(MLFLOW, db.url);
    const base = server.url;
    let data;
    if (reuse !== '') {
      const { experiments } = await call(base, 'experiments/search', { filter: "name LIKE 'web-bench-%'", max_results: 1 });
      const experiment = experiments[0];
      const found = await call(base, 'runs/search', { experiment_ids: [experiment.experiment_id], filter: "attributes.run_name = 'history'", max_results: 1 });
      const count = Number(experiment.tags?.find((t) => t.key === 'bench.runs')?.value ?? NaN);
      data = { experimentId: experiment.experiment_id, historyRunId: found.runs[0].info.run_id, runs: count, seed: `reused (${count} runs)` };
    } else {
      log(`[${label}] seeding ${runs} runs and ${STEPS} steps into ${db.name}`);
      data = await (label === 'cairn' ? seedCairn(base) : seedMlflow(base, db.url, runs));
      log(`[${label}] ${data.seed}`);
      await settle(db.url);
    }
    const top = await call(base, 'runs/search', { experiment_ids: [data.experimentId], order_by: ['metrics.m0 DESC'], max_results: COMPARE });
    data.topByM0 = top.runs[0].info.run_name;
    data.compareIds = top.runs.map((r) => r.info.run_id);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const loadBefore = os.loadavg()[0];
      const result = await measureUi(browser, label, base, data);
      return { ...result, runs: data.runs, seed: data.seed, database: db.name, load: [loadBefore, os.loadavg()[0]] };
    } finally {
      await browser.close();
      server.child.kill();
    }
  } finally {
    if (KEEP || reuse !== '') log(`[${label}] kept ${db.url.replace(/:[^:@/]*@/, ':***@')}`);
    else await dropDatabase(PG, db.name);
  }
}

const fmt = (ms) => (Number.isFinite(ms) ? `${Math.round(ms).toLocaleString('en')} ms` : 'not in 120 s');

async function main() {
  const labels = ONLY === '' ? ['cairn', 'mlflow'] : [ONLY];
  const results = {};
  // MLflow gets as many runs as Cairn's seed reached (all of them unless BENCH_WEB_SEED_SECONDS cut it short).
  for (const label of labels) results[label] = await side(label, results.cairn?.runs ?? RUNS);
  const version = execFileSync(MLFLOW, ['--version'], { encoding: 'utf8' }).trim();
  const goals = { table: GOAL_MS, sort: GOAL_MS, chart: GOAL_MS, compareLongestTask: LONG_TASK_GOAL_MS };
  const met = (key) => (results.cairn === undefined || goals[key] === undefined ? '—' : results.cairn[key] <= goals[key] ? 'yes' : 'no');
  const row = (name, key, goal) =>
    `| ${name} | ${results.cairn ? fmt(results.cairn[key]) : '—'} | ${results.mlflow ? fmt(results.mlflow[key]) : '—'} | ${goal} | ${met(key)} |`;
  console.log(
    [
      `${new Date().toISOString()}, ${os.cpus().length} cores, load ${Object.values(results)
        .map((r) => r.load.map((l) => l.toFixed(1)).join('→'))
        .join(' / ')}, ${version}`,
      `runs: ${Object.entries(results)
        .map(([label, r]) => `${label} ${r.runs}`)
        .join(', ')} × (20 params, 10 metrics); history: 10 metrics × ${STEPS} steps; compare: ${COMPARE} runs; median of ${REPEAT}`,
      ...Object.entries(results).map(([label, r]) => `${label} seed: ${r.seed}`),
      '',
      '| measured (median) | Cairn | MLflow UI on `mlflow server` | goal | Cairn met? |',
      '| --- | ---: | ---: | --- | --- |',
      row('runs table: first rows after navigation', 'table', '≤ 1 s'),
      row('sort by a metric: first row is the top run', 'sort', '≤ 1 s'),
      row('10-metric chart drawn (10 × 100k steps)', 'chart', '≤ 1 s'),
      row(`${COMPARE} runs compared: shown`, 'compare', '—'),
      row(`${COMPARE} runs compared: longest task (max of the visits)`, 'compareLongestTask', '≤ 200 ms'),
    ].join('\n'),
  );
  console.log(JSON.stringify(results));
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
