import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runMlflowClient, startServer, waitFor, type StartedServer } from '@cairn/testing';

// Issue 19: Cairn's own web UI, served at `/` by the all-in-one server, in Debian's chromium against
// a server the real mlflow client populated. Each page is checked for what a user looks for,
// screenshotted into the test output, and checked by axe-core (no serious or critical violations).

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const outputDir = process.env['CAIRN_TEST_OUTPUT_DIR'] ?? path.join(repoRoot, 'dist', 'test-output', 'web-ui');
const axeScript = require.resolve('axe-core/axe.min.js');

interface Populated {
  experiment_id: string;
  parent_run_id: string;
  children: string[];
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

/** Screenshot into the test output, then axe-core: serious and critical violations fail the test. */
async function checkAxe(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(outputDir, `${name}.png`), fullPage: true });
  await page.addScriptTag({ path: axeScript });
  // A string, not a function: this file is compiled for Node, without the DOM's types.
  const violations = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)")) as AxeViolation[];
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(blocking.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`)).toEqual([]);
}

/** One REST call to a server under test (JSON in and out), as a client would make it. */
async function rest<T>(server: StartedServer, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(`${server.url}/api/2.0/${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

describe('web UI in a browser', () => {
  let server: StartedServer;
  let browser: Browser;
  let page: Page;
  let data: Populated;
  /** The URL the mlflow client printed after the parent run ("🏃 View run … at: <url>"). */
  let printedRunUrl: string;

  beforeAll(async () => {
    mkdirSync(outputDir, { recursive: true });
    server = await startServer();
    const populated = await runMlflowClient(3, path.join(__dirname, 'populate.py'), [server.url], {});
    if (populated.code !== 0) throw new Error(`populate.py failed:\n${populated.stdout}\n${populated.stderr}`);
    const lines = populated.stdout.trim().split('\n');
    data = JSON.parse(lines[lines.length - 1] ?? '{}') as Populated;
    const printed = /View run sweep-parent at: (\S+)/.exec(populated.stdout + populated.stderr)?.[1];
    if (printed === undefined) throw new Error(`the mlflow client printed no run URL:\n${populated.stdout}\n${populated.stderr}`);
    printedRunUrl = printed;
    browser = await chromium.launch({ executablePath: process.env['CAIRN_TEST_CHROMIUM'] ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });
  afterEach(async () => {
    await page.close();
  });

  /** The run names in the runs grid, top to bottom, once they equal `expected`. */
  const runNamesBecome = (expected: string[]) =>
    waitFor(
      async () => {
        const names = await page.locator('.runs-grid .body-row a').allTextContents();
        return JSON.stringify(names) === JSON.stringify(expected) ? names : undefined;
      },
      { message: `runs ${expected.join(', ')}` },
    );

  const open = async (hash: string) => {
    await page.goto(`${server.url}/${hash}`);
    await page.locator('main h1').first().waitFor();
  };

  const checkPage = (name: string) => checkAxe(page, name);

  it('serves the UI at / and lists the experiments, searchable by name', async () => {
    await open('');
    const table = page.getByRole('table', { name: 'Experiments' });
    await table.getByRole('link', { name: 'ui-sweep' }).waitFor();
    expect(await table.getByRole('link', { name: 'ui-other' }).count()).toBe(1);
    expect(await table.textContent()).toContain('team: vision');
    await checkPage('experiments');

    await page.getByLabel('Search experiments').fill('sweep');
    await page.waitForURL(/q=sweep/);
    await table.getByRole('link', { name: 'ui-other' }).waitFor({ state: 'detached' });
    expect(await table.getByRole('link', { name: 'ui-sweep' }).count()).toBe(1);
    // The URL followed the box without taking the focus from it (typing goes on).
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('experiment-search');
  });

  it('creates, renames and deletes an experiment, and finds it among the deleted', async () => {
    await open('#/experiments');
    await page.getByLabel('New experiment name').fill('ui-created');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'ui-created' }).waitFor();

    await open('#/experiments?q=ui-created');
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Name', { exact: true }).fill('ui-renamed');
    await page.getByRole('button', { name: 'Rename' }).click();
    // The list still searches for the old name: the renamed experiment leaves it.
    await page.getByText('No experiment matches.').waitFor();

    await open('#/experiments?q=ui-renamed');
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No experiment matches.').waitFor();
    await open('#/experiments?q=ui-renamed&view=deleted');
    await page.getByRole('link', { name: 'ui-renamed' }).waitFor();
  });

  it('shows the runs of an experiment as a tree, sorted and filtered on the server, with the view in the URL', async () => {
    await open(`#/experiments/${data.experiment_id}?cols=metrics.loss,params.lr&order=${encodeURIComponent('metrics.loss ASC')}`);
    const grid = page.getByRole('grid', { name: 'Runs' });
    await grid.getByRole('link', { name: 'sweep-parent' }).waitFor();
    // The children sit under their parent, sorted by loss ascending (trial-0 learns fastest).
    await runNamesBecome(['sweep-parent', 'trial-0', 'trial-1', 'trial-2']);
    expect(await grid.getByRole('columnheader').allTextContents()).toEqual(expect.arrayContaining(['metric: loss ↑', 'param: lr']));
    await checkPage('runs');

    // Sorting from the header flips the order and goes into the URL.
    await grid.getByRole('button', { name: 'metric: loss' }).click();
    await page.waitForURL(/order=metrics.loss\+DESC/);
    await runNamesBecome(['sweep-parent', 'trial-2', 'trial-1', 'trial-0']);
    expect(await grid.getByRole('columnheader', { name: /metric: loss/ }).getAttribute('aria-sort')).toBe('descending');

    // Collapsing the parent hides its children.
    await grid.getByRole('button', { name: /Hide 3 child runs of sweep-parent/ }).click();
    await runNamesBecome(['sweep-parent']);

    await page.getByLabel('Filter runs').fill("params.lr = '0.01'");
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/filter=params.lr/);
    await runNamesBecome(['trial-1']);
  });

  it('adds a column from the searchable column chooser, into the URL', async () => {
    await open(`#/experiments/${data.experiment_id}`);
    await page.getByRole('grid', { name: 'Runs' }).getByRole('link', { name: 'trial-1' }).waitFor();
    await page.getByRole('button', { name: /^Columns/ }).click();
    const chooser = page.getByRole('group', { name: 'Choose columns' });
    await chooser.getByLabel('Search keys').fill('long loss');
    await chooser
      .getByRole('status')
      .getByText(/^1 of \d+ keys match$/)
      .waitFor();
    await chooser.getByRole('checkbox', { name: 'metrics.long_loss' }).check();
    await page.waitForURL(/cols=metrics.long_loss/);
    await page.getByRole('grid', { name: 'Runs' }).getByRole('columnheader', { name: 'metric: long_loss' }).waitFor();
    await checkPage('runs-column-chooser');
  });

  it("shows the server's filter error with the offending part of the string marked", async () => {
    await open(`#/experiments/${data.experiment_id}?filter=${encodeURIComponent("metrics.loss < 0.5 and params.lr ~ '1'")}`);
    const alert = page.locator('#run-filter-error');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('INVALID_PARAMETER_VALUE');
    expect(await alert.locator('mark').textContent()).toBe('~');
    expect(await page.getByLabel('Filter runs').getAttribute('aria-invalid')).toBe('true');
    await checkPage('runs-filter-error');
  });

  it('opens the run from the URL the mlflow client prints, with its overview', async () => {
    expect(printedRunUrl).toBe(`${server.url}/#/experiments/${data.experiment_id}/runs/${data.parent_run_id}`);
    await page.goto(printedRunUrl);
    await page.getByRole('heading', { name: /sweep-parent/ }).waitFor();
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain('3f2a9c1d0b7e4f5a6b8c9d0e1f2a3b4c5d6e7f80');
    expect(text).toContain('md5:9b2f0c');
    expect(text).toContain('FINISHED');
    for (const child of ['trial-0', 'trial-1', 'trial-2']) await page.getByRole('link', { name: child }).waitFor();
    await checkPage('run-overview');
  });

  it("charts a run's metric history from the downsampled endpoint", async () => {
    const requests: string[] = [];
    page.on('request', (request) => request.url().includes('get-history-bulk-interval') && requests.push(request.url()));
    await open(`#/experiments/${data.experiment_id}/runs/${data.children[1]}?tab=metrics`);
    const chart = page.getByRole('figure', { name: 'Chart of loss' });
    await chart.locator('canvas').waitFor();
    await chart.getByText('300 points').waitFor();
    expect(requests.some((url) => /metric_key=loss/.test(url) && /max_results=\d+/.test(url))).toBe(true);
    expect(await page.getByRole('table', { name: 'Metrics' }).textContent()).toContain('step 299');
    await checkPage('run-metrics');

    // 5,000 steps: the overview is downsampled to the chart's width; a dragged range is fetched again.
    const long = page.getByRole('figure', { name: 'Chart of long_loss' });
    const caption = long.locator('figcaption');
    await caption.getByText(/^\d+ points · drag to zoom/).waitFor();
    const overviewPoints = Number(/^(\d+)/.exec((await caption.textContent()) ?? '')?.[1]);
    expect(overviewPoints).toBeLessThan(5000);
    const plot = long.locator('.u-over');
    const box = await plot.boundingBox();
    if (box === null) throw new Error('the chart has no plot area');
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await caption.getByText(/zoomed to steps/).waitFor();
    const zoomed = await waitFor(() => requests.find((url) => /metric_key=long_loss/.test(url) && /start_step=\d+/.test(url) && /end_step=\d+/.test(url)), {
      message: 'a request for the zoomed range',
    });
    const start = Number(/start_step=(\d+)/.exec(zoomed)?.[1]);
    const end = Number(/end_step=(\d+)/.exec(zoomed)?.[1]);
    expect(start).toBeGreaterThan(0);
    expect(end - start).toBeLessThan(1000);
  });

  it('compares selected runs: one metric overlaid, and what differs between them', async () => {
    await open(`#/experiments/${data.experiment_id}`);
    const grid = page.getByRole('grid', { name: 'Runs' });
    for (const name of ['trial-0', 'trial-2']) await grid.getByRole('checkbox', { name: `Select run ${name}` }).check();
    await page.getByRole('button', { name: 'Compare 2 runs' }).click();
    await page.getByRole('heading', { name: 'Comparing 2 runs' }).waitFor();
    expect(page.url()).toContain('#/compare-runs?runs=');

    await page.getByRole('combobox', { name: 'Metric' }).selectOption('loss');
    const chart = page.getByRole('figure', { name: 'Chart of loss for 2 runs' });
    await chart.locator('canvas').waitFor();
    await chart.getByText(/\d+ points over 2 runs/).waitFor();

    const table = page.getByRole('table', { name: 'Differences' });
    const row = (key: string) => table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${key}`) }) });
    expect(await row('param: lr').getByRole('cell').allTextContents()).toEqual(['0.1', '0.001']);
    expect(await row('param: optimizer').getByRole('cell').allTextContents()).toEqual(['adam', 'adam']);
    // The sweep as parallel coordinates: the params that differ, and the metric.
    await page
      .getByRole('figure', { name: 'Parallel coordinates of 2 runs' })
      .getByText(/across depth, lr, metric loss/)
      .waitFor();
    await checkPage('compare');
    await page.getByLabel('Only what differs').check();
    await row('param: optimizer').waitFor({ state: 'detached' });
    expect(await row('param: lr').count()).toBe(1);

    // Time axes and smoothing redraw the same histories, and go into the URL to be shared.
    await page.getByLabel('X axis').selectOption('relative');
    await page.waitForURL(/x=relative/);
    await chart.getByText(/over 2 runs · relative time/).waitFor();
    await page.getByLabel('Smoothing').fill('0.8');
    await page.waitForURL(/smooth=0.8/);
    await chart.getByText(/smoothed 0.8/).waitFor();
    await page.reload();
    await page
      .getByRole('figure', { name: 'Chart of loss for 2 runs' })
      .getByText(/relative time \(s\) · smoothed 0.8/)
      .waitFor();
  });

  // The 200 ms long-task target is the benchmark's, on a quiet machine; here, on a CI box shared by
  // many jobs, the test catches what freezes the tab (seconds, as a table of millions of cells did).
  it('compares 200 runs without freezing the tab', async () => {
    const experiment = await rest<{ experiment_id: string }>(server, 'POST', 'mlflow/experiments/create', { name: 'ui-two-hundred' });
    const start = 1_700_000_000_000;
    const ids: string[] = [];
    // 200 runs of 100 steps each, started a little apart: on a time axis no two runs share an x.
    for (let batch = 0; batch < 20; batch++) {
      const created = await Promise.all(
        Array.from({ length: 10 }, async (_, j) => {
          const i = batch * 10 + j;
          const run = await rest<{ run: { info: { run_id: string } } }>(server, 'POST', 'mlflow/runs/create', {
            experiment_id: experiment.experiment_id,
            run_name: `many-${i}`,
            start_time: start + i * 997,
          });
          const id = run.run.info.run_id;
          await rest(server, 'POST', 'mlflow/runs/log-batch', {
            run_id: id,
            params: [{ key: 'lr', value: String(0.001 * (i + 1)) }],
            metrics: Array.from({ length: 100 }, (_, step) => ({
              key: 'loss',
              value: 1 / (1 + step * (i + 1) * 0.01),
              timestamp: start + i * 997 + step * 1000,
              step,
            })),
          });
          return id;
        }),
      );
      ids.push(...created);
    }
    // Long tasks are recorded from the first byte of the page on.
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.addInitScript(
      'window.__longTasks = []; new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); }).observe({ type: "longtask", buffered: true });',
    );
    const link = `#/compare-runs?runs=${encodeURIComponent(JSON.stringify(ids))}&experiments=${encodeURIComponent(JSON.stringify([experiment.experiment_id]))}`;
    await open(link);
    const chart = page.getByRole('figure', { name: 'Chart of loss for 200 runs' });
    await chart.getByText('20000 points over 200 runs · step').waitFor({ timeout: 30_000 });
    await page
      .getByRole('figure', { name: 'Parallel coordinates of 200 runs' })
      .getByText(/across lr, metric loss/)
      .waitFor();
    // Wall time: 200 runs × 100 timestamps, none shared, drawn on one column per pixel.
    await page.getByLabel('X axis').selectOption('time');
    await chart.getByText(/over 200 runs · wall time/).waitFor();
    await page.getByLabel('Smoothing').fill('0.9');
    await chart.getByText(/smoothed 0.9/).waitFor();
    const longTasks = (await page.evaluate('window.__longTasks')) as number[];
    writeFileSync(path.join(outputDir, 'compare-200-long-tasks.json'), JSON.stringify(longTasks));
    expect(Math.max(0, ...longTasks)).toBeLessThan(1500);
    // Batched: the runs in two searches, each metric's histories in two requests of 100 runs.
    expect(requests.filter((url) => url.includes('/runs/search'))).toHaveLength(2);
    expect(requests.filter((url) => url.includes('get-history-bulk-interval') && url.includes('metric_key=loss')).length).toBeLessThanOrEqual(4);
    expect(await page.getByRole('table', { name: 'Differences' }).getByRole('columnheader').count()).toBe(201);
  });

  it('edits run tags', async () => {
    await open(`#/experiments/${data.experiment_id}/runs/${data.children[0]}?tab=tags`);
    await page.getByLabel('Tag', { exact: true }).fill('reviewed');
    await page.getByLabel('Value', { exact: true }).fill('yes');
    await page.getByRole('button', { name: 'Set tag' }).click();
    const tags = page.getByRole('table', { name: 'Tags' });
    await tags.getByText('reviewed').waitFor();
    await checkPage('run-tags');
    await tags.getByRole('button', { name: 'Remove tag reviewed' }).click();
    await tags.getByText('reviewed').waitFor({ state: 'detached' });

    // The run's history names both edits, newest first, and who made them.
    await open(`#/experiments/${data.experiment_id}/runs/${data.children[0]}?tab=history`);
    const history = page.getByRole('table', { name: 'Changes of this run, newest first' });
    await history.getByText('Tag reviewed deleted').waitFor();
    const rows = await history.getByRole('row').allTextContents();
    expect(rows.findIndex((r) => r.includes('Tag reviewed deleted'))).toBeLessThan(rows.findIndex((r) => r.includes('tag set: reviewed')));
    expect(rows.at(-1)).toContain('Run created');
    expect(rows.some((r) => r.includes('metric point'))).toBe(false);
    await page.getByLabel('Show metric batches').check();
    await history
      .getByText(/metric points?:/)
      .first()
      .waitFor();
    await checkPage('run-history');
  });

  it('browses artifacts with text, JSON, CSV and image previews', async () => {
    await open(`#/experiments/${data.experiment_id}/runs/${data.parent_run_id}?tab=artifacts`);
    const tree = page.getByRole('navigation', { name: 'Artifacts' });
    await tree.getByRole('button', { name: /notes\.txt/ }).click();
    await page.locator('.preview pre').getByText('best trial: lr=0.01').waitFor();
    await tree.getByRole('button', { name: /summary\.json/ }).click();
    await page.locator('.preview pre').getByText('"best_lr": 0.01').waitFor();
    await tree.getByRole('button', { name: /predictions\.csv/ }).click();
    const csv = page.getByRole('table', { name: 'Table predictions.csv' });
    await csv.getByRole('cell', { name: 'dog, big' }).waitFor();
    expect(await csv.getByRole('columnheader').allTextContents()).toEqual(['id', 'label', 'score']);
    await tree.getByRole('button', { name: /plots/ }).click();
    await tree.getByRole('button', { name: /loss\.png/ }).click();
    await page.waitForURL(/artifact=plots%2Floss\.png/);
    const image = page.getByRole('img', { name: 'Artifact plots/loss.png' });
    await image.waitFor();
    await waitFor(async () => ((await image.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)) === 64 ? true : undefined), {
      message: 'the image to load',
    });
    await checkPage('run-artifacts');

    // MLflow's own deep link into an artifact opens the same preview.
    await open(`#/experiments/${data.experiment_id}/runs/${data.parent_run_id}/artifactPath/summary.json`);
    await page.locator('.preview pre').getByText('"trials": 3').waitFor();
  });

  it("lists the run's logged models and previews the MLmodel", async () => {
    await open(`#/experiments/${data.experiment_id}/runs/${data.children[2]}?tab=models`);
    const logged = page.getByRole('table', { name: 'Logged models' });
    await logged.getByRole('cell', { name: 'sweep-model' }).waitFor();
    expect(await logged.textContent()).toContain('classifier');
    const fromLogModel = page.getByRole('table', { name: "Models in the run's artifacts" });
    expect(await fromLogModel.textContent()).toContain('python_function, sklearn');
    await checkPage('run-models');

    await fromLogModel.getByRole('link', { name: 'model' }).click();
    await page.waitForURL(/tab=artifacts&artifact=model%2FMLmodel/);
    const summary = page.getByRole('definition');
    const model = page.locator('dl[aria-label="Model"]');
    await model.waitFor();
    expect(await summary.allTextContents()).toEqual(expect.arrayContaining(['python_function, sklearn', 'lr: double, depth: long', '3.18.0']));
    await checkPage('run-mlmodel');
  });

  it('lists registered models and opens a version by the link people paste', async () => {
    await open('#/models');
    const models = page.getByRole('table', { name: 'Registered models' });
    await models.getByRole('link', { name: 'ui-model' }).waitFor();
    expect(await models.textContent()).toContain('@champion → v2');
    await checkPage('models');

    await open('#/models/ui-model/versions/2');
    await page.getByRole('heading', { name: /ui-model · version 2/ }).waitFor();
    const versions = page.getByRole('table', { name: 'Versions' });
    await versions.getByRole('link', { name: 'trial-1' }).waitFor();
    expect(await page.getByLabel('Stage of version 1').inputValue()).toBe('Staging');
    // Lineage: version → run, with the run's params and final metrics.
    await page.getByRole('definition').getByRole('link', { name: 'trial-1' }).first().waitFor();
    await page.getByRole('table', { name: 'Final metrics of the run' }).getByText('0.85').waitFor();
    expect(await page.getByRole('table', { name: 'Parameters of the run' }).textContent()).toContain('0.01');
    // History, newest first, each change with its actor.
    const history = page.getByRole('list', { name: 'History' });
    await history.getByText('model version stage transitioned').waitFor();
    expect(await history.textContent()).toContain('by anonymous');
    await page.getByLabel('As of').fill('2020-01-01T00:00:00');
    await page.getByRole('status', { name: 'The model as of the chosen time' }).getByText('did not exist yet').waitFor();
    await checkPage('model-version');

    // Promote a challenger: the server's decision record is shown, both ways.
    await page.getByLabel('Challenger').selectOption('1');
    await page.getByLabel('on metric').fill('acc');
    await page.getByRole('button', { name: 'Promote if better' }).click();
    const decision = page.getByRole('status', { name: 'Promotion decision' });
    await decision.getByText('Not promoted: @champion stays.').waitFor();
    expect(await decision.textContent()).toContain('champion v2 0.85');
    await page.getByLabel('Better is').selectOption('lower_is_better');
    await page.getByRole('button', { name: 'Promote if better' }).click();
    await decision.getByText('Promoted: version 1 is now @champion.').waitFor();
    const aliases = page.getByRole('table', { name: 'Aliases' });
    await aliases.getByRole('link', { name: 'v1' }).waitFor();
    await checkPage('model-promoted');

    // Set another alias by hand; the history records it, newest first.
    await page.getByLabel('Set alias', { exact: true }).fill('challenger');
    await page.getByLabel('to version').selectOption('2');
    await page.getByRole('button', { name: 'Set alias' }).click();
    await aliases.getByRole('row').filter({ hasText: '@challenger' }).getByRole('link', { name: 'v2' }).waitFor();
  });

  it("shows each experiment's artifact storage, and dry runs of the orphan reaper and of GC", async () => {
    await open('#/operations');
    const storage = page.getByRole('table', { name: 'Artifact storage' });
    const sweep = storage.getByRole('row').filter({ has: page.getByRole('link', { name: 'ui-sweep' }) });
    // The parent run's notes.txt, summary.json, predictions.csv and plots/loss.png, and trial-2's model/MLmodel.
    await waitFor(async () => ((await sweep.getByRole('cell').nth(1).textContent()) === '5' ? true : undefined), { message: '5 files in ui-sweep' });
    await page.getByRole('button', { name: 'Check now (dry run)' }).click();
    await page.getByRole('status', { name: 'Orphaned runs' }).getByText('No orphaned runs.').waitFor();
    await page.getByRole('button', { name: 'Report (dry run)' }).click();
    await page
      .getByRole('status', { name: 'Garbage collection report' })
      .getByText(/^Would purge \d+ runs/)
      .waitFor();
    await checkPage('operations');
  });

  it('has no serious accessibility violations in the dark theme either', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await open(`#/experiments/${data.experiment_id}`);
    await page.getByRole('grid', { name: 'Runs' }).getByRole('link', { name: 'sweep-parent' }).waitFor();
    await checkPage('runs-dark');
  });

  it('says so when a page does not exist', async () => {
    await open('#/nowhere/at/all');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  });
});

describe('web UI on a server with password sign-in (CAIRN_AUTH=basic)', () => {
  const password = 'web-ui-admin-password';
  let server: StartedServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer({ env: { CAIRN_AUTH: 'basic', CAIRN_ADMIN_PASSWORD: password } });
    browser = await chromium.launch({ executablePath: process.env['CAIRN_TEST_CHROMIUM'] ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  // Headless chromium has no password dialog: a refused password is what a visitor who cancels it sees.
  it('asks a visitor whose password is refused to sign in, instead of showing an empty list', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'admin', password: 'not-the-password' } });
    const page = await context.newPage();
    await page.goto(`${server.url}/#/experiments`);
    const prompt = page.getByRole('alert').filter({ hasText: 'Sign in to see this.' });
    await prompt.waitFor();
    expect(await prompt.textContent()).toContain('user name and password');
    expect(await page.getByRole('alert').filter({ hasText: 'UNAUTHENTICATED' }).count()).toBe(1);
    expect(await page.getByText('No experiments yet.').count()).toBe(0);
    await context.close();
  });

  it('works with the credentials the browser sends after its password prompt, writes included', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'admin', password } });
    const page = await context.newPage();
    await page.goto(`${server.url}/#/experiments`);
    await page.getByRole('table', { name: 'Experiments' }).getByRole('link', { name: 'Default' }).waitFor();
    await page.getByLabel('New experiment name').fill('made-in-the-browser');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'made-in-the-browser' }).waitFor();
    expect(await page.getByText('Sign in to see this.').count()).toBe(0);
    await context.close();
  });

  it('shows a reader only what it may read, and no action it may not take', async () => {
    const admin = { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` };
    await rest(server, 'POST', 'mlflow/users/create', { username: 'reader', password: 'reader-password-1' }, admin);
    const shared = await rest<{ experiment_id: string }>(server, 'POST', 'mlflow/experiments/create', { name: 'shared-with-reader' }, admin);
    await rest(server, 'POST', 'mlflow/experiments/create', { name: 'admins-only' }, admin);
    await rest(server, 'POST', 'mlflow/experiments/permissions/create', { experiment_id: shared.experiment_id, username: 'reader', permission: 'READ' }, admin);
    const run = await rest<{ run: { info: { run_id: string } } }>(
      server,
      'POST',
      'mlflow/runs/create',
      { experiment_id: shared.experiment_id, run_name: 'read-only-run' },
      admin,
    );
    await rest(server, 'POST', 'mlflow/runs/set-tag', { run_id: run.run.info.run_id, key: 'owner', value: 'admin' }, admin);

    const context = await browser.newContext({ httpCredentials: { username: 'reader', password: 'reader-password-1' } });
    const page = await context.newPage();
    // What is hidden is decided from the reader's grants: the checks below run once they are known.
    const grants = page.waitForResponse((response) => response.url().includes('users/current/permissions') && response.ok());
    await page.goto(`${server.url}/#/experiments`);
    await grants;
    const table = page.getByRole('table', { name: 'Experiments' });
    await table.getByRole('link', { name: 'shared-with-reader' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
    // The server lists only what the reader may read; the UI offers no edit on a READ grant.
    expect(await table.getByRole('link', { name: 'admins-only' }).count()).toBe(0);
    expect(await table.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    await checkAxe(page, 'experiments-reader');

    await page.goto(`${server.url}/#/experiments/${shared.experiment_id}/runs/${run.run.info.run_id}?tab=tags`);
    await page.getByRole('table', { name: 'Tags' }).getByText('owner').waitFor();
    expect(await page.getByRole('button', { name: 'Set tag' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Remove tag/ }).count()).toBe(0);

    await page.goto(`${server.url}/#/operations`);
    await page.getByText('Only an admin can run this check.').waitFor();
    expect(await page.getByRole('button', { name: 'Check now (dry run)' }).count()).toBe(0);
    await context.close();

    // The admin is offered the same actions.
    const adminContext = await browser.newContext({ httpCredentials: { username: 'admin', password } });
    const adminPage = await adminContext.newPage();
    await adminPage.goto(`${server.url}/#/experiments/${shared.experiment_id}/runs/${run.run.info.run_id}?tab=tags`);
    await adminPage.getByRole('button', { name: 'Set tag' }).waitFor();
    await adminPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).waitFor();
    await adminContext.close();
  });
});

describe('web UI: webhooks', () => {
  let server: StartedServer;
  let browser: Browser;
  let receiver: Server;
  /** What the receiving endpoint answers: refusal (400) until the test fixes it. */
  let accepting = false;
  let webhookId: string;

  const api = <T>(method: string, route: string, body?: unknown): Promise<T> => rest<T>(server, method, route, body);

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => (accepting ? response.writeHead(200).end('ok') : response.writeHead(400).end('receiver says: bad payload')));
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as AddressInfo).port;
    server = await startServer({ env: { CAIRN_WEBHOOK_ALLOW_HTTP: 'true', CAIRN_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
    const created = await api<{ webhook: { webhook_id: string } }>('POST', 'mlflow/webhooks', {
      name: 'ui-hook',
      url: `http://127.0.0.1:${port}/hook`,
      events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }],
    });
    webhookId = created.webhook.webhook_id;
    await api('POST', 'mlflow/registered-models/create', { name: 'hooked-model' });
    await waitFor(
      async () => {
        const page = await api<{ deliveries: Array<{ status: string }> }>('GET', `cairn/webhooks/deliveries?webhook_id=${webhookId}`);
        return page.deliveries.some((d) => d.status === 'FAILED') ? true : undefined;
      },
      { timeoutMs: 30_000, message: 'a failed delivery' },
    );
    browser = await chromium.launch({ executablePath: process.env['CAIRN_TEST_CHROMIUM'] ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('shows an endpoint failing, the attempt and its response, and a redelivery that succeeds', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${server.url}/#/webhooks`);
    const list = page.getByRole('table', { name: 'Webhooks' });
    await list.getByRole('link', { name: 'ui-hook' }).waitFor();
    await list.getByText('1 failed delivery in a row').waitFor();
    await checkAxe(page, 'webhooks');

    await list.getByRole('link', { name: 'ui-hook' }).click();
    const deliveries = page.getByRole('table', { name: 'Deliveries' });
    const failed = deliveries.getByRole('row').filter({ hasText: 'FAILED' });
    await failed.waitFor();
    expect(await failed.textContent()).toContain('HTTP 400');
    await failed.getByRole('button', { name: /^Attempts of/ }).click();
    await page.getByText('receiver says: bad payload').waitFor();

    // Redelivery queues the same delivery again: its row turns SUCCEEDED, with a second attempt.
    accepting = true;
    const first = deliveries.getByRole('row').nth(1);
    await first.getByRole('button', { name: /^Redeliver/ }).click();
    await first.getByText('SUCCEEDED').waitFor({ timeout: 30_000 });
    expect(await first.getByRole('cell').nth(2).textContent()).toBe('2');

    await page.getByRole('button', { name: 'Send a test event' }).click();
    await page.getByRole('status', { name: 'Test result' }).getByText('Delivered · HTTP 200').waitFor();
    await checkAxe(page, 'webhook');
    await page.close();
  });
});
