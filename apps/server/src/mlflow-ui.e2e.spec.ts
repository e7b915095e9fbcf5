import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  chromiumBinary,
  mlflowUiBuild,
  runMlflowClient,
  serveMlflowUi,
  startMlflowServer,
  startServer,
  type MlflowUiProxy,
  type StartedMlflowServer,
  type StartedServer,
} from '@cairn/testing';

// MLflow's own web UI (the static build inside the pinned 3.x wheel) is the test client: it is served
// in front of `mlflow server` and in front of Cairn, both holding the same data logged by the real
// 3.x client, and every page a user reaches is opened on both. Cairn fails a page when it answers an
// API request with ≥ 400 that MLflow answers below 400, when the page throws where MLflow's does not,
// or when what the page shows on MLflow is missing.

const dataScript = path.join(__dirname, '..', 'e2e', 'mlflow_ui_data.py');

interface UiData {
  experiment: string;
  experiment_id: string;
  parent_run: string;
  child_run: string;
  other_run: string;
  logged_model_1?: string;
  trace?: string;
  model: string;
  prompt: string;
}

interface Visit {
  name: string;
  /** The hash route (`#/...`) the page is opened at. */
  route: (d: UiData) => string;
  /** Text the page shows once loaded (checked on MLflow first, so the expectation is MLflow's). */
  shows?: (d: UiData) => string;
  /** What the user does on the page after it opened (clicks), throwing when the page does not respond. */
  then?: (page: Page, d: UiData) => Promise<void>;
}

const contentTimeoutMs = 15_000;

const showsText = async (page: Page, text: string) => page.getByText(text, { exact: false }).first().waitFor({ timeout: contentTimeoutMs });

/** Opens an artifact in the run's artifact tree (clicking through its folders) and waits for its preview. */
const previewArtifact =
  (folders: string[], file: string, preview: (page: Page) => Promise<unknown>) =>
  async (page: Page): Promise<void> => {
    for (const name of [...folders, file]) await page.getByText(name, { exact: true }).first().click({ timeout: contentTimeoutMs });
    await preview(page);
  };

const runsArg = (d: UiData) => JSON.stringify([d.parent_run, d.other_run]);

const visits: Visit[] = [
  { name: 'experiments list', route: () => '/experiments', shows: (d) => d.experiment },
  { name: 'experiment: training runs', route: (d) => `/experiments/${d.experiment_id}/runs`, shows: () => 'baseline' },
  { name: 'experiment: overview', route: (d) => `/experiments/${d.experiment_id}/overview` },
  { name: 'experiment: traces', route: (d) => `/experiments/${d.experiment_id}/traces`, shows: () => 'CONTEXT FOR WHAT IS PARITY?' },
  { name: 'experiment: trace', route: (d) => `/experiments/${d.experiment_id}/traces/${d.trace ?? 'missing-trace'}`, shows: () => 'retrieve' },
  { name: 'experiment: logged models', route: (d) => `/experiments/${d.experiment_id}/models`, shows: () => 'Ready' },
  {
    name: 'logged model: overview',
    route: (d) => `/experiments/${d.experiment_id}/models/${d.logged_model_1 ?? 'missing-model'}`,
    shows: () => 'learning_rate',
  },
  {
    name: 'logged model: artifacts',
    route: (d) => `/experiments/${d.experiment_id}/models/${d.logged_model_1 ?? 'missing-model'}/artifacts`,
    shows: () => 'MLmodel',
  },
  { name: 'experiment: prompts', route: (d) => `/experiments/${d.experiment_id}/prompts` },
  { name: 'run: overview', route: (d) => `/experiments/${d.experiment_id}/runs/${d.parent_run}`, shows: () => 'The parent run.' },
  { name: 'run: child overview', route: (d) => `/experiments/${d.experiment_id}/runs/${d.child_run}`, shows: () => 'fold' },
  { name: 'run: model metric charts', route: (d) => `/experiments/${d.experiment_id}/runs/${d.parent_run}/model-metrics`, shows: () => 'parent (loss)' },
  { name: 'run: system metrics', route: (d) => `/experiments/${d.experiment_id}/runs/${d.parent_run}/system-metrics` },
  { name: 'run: traces', route: (d) => `/experiments/${d.experiment_id}/runs/${d.parent_run}/traces`, shows: () => 'Trace ID' },
  {
    name: 'run: artifacts, text preview',
    route: (d) => `/experiments/${d.experiment_id}/runs/${d.parent_run}/artifacts`,
    then: previewArtifact([], 'notes.txt', (page) => showsText(page, 'plain text the artifact view previews')),
  },
  {
    name: 'run: artifacts, JSON preview',
    route: (d) => `/experiments/${d.experiment_id}/runs/${d.parent_run}/artifacts`,
    then: previewArtifact(['configs'], 'config.json', (page) => showsText(page, 'learning_rate')),
  },
  {
    name: 'run: artifacts, image preview',
    route: (d) => `/experiments/${d.experiment_id}/runs/${d.parent_run}/artifacts`,
    // the logged PNG is 32×32: an <img> of that size is the preview, decoded from what the server sent
    then: previewArtifact(['plots'], 'gradient.png', (page) =>
      page.waitForFunction('[...document.images].some((i) => i.complete && i.naturalWidth === 32)', undefined, { timeout: contentTimeoutMs }),
    ),
  },
  {
    name: 'compare runs',
    route: (d) => `/compare-runs?runs=${runsArg(d)}&experiments=${JSON.stringify([d.experiment_id])}`,
    shows: () => 'Comparing 2 Runs from 1 Experiment',
  },
  {
    name: 'metric page',
    route: (d) =>
      `/metric?runs=${runsArg(d)}&metric=${encodeURIComponent('"loss"')}&experiments=${JSON.stringify([d.experiment_id])}` +
      `&plot_metric_keys=${encodeURIComponent('["loss"]')}&plot_layout={}&x_axis=step&y_axis_scale=linear&line_smoothness=1&show_point=false&deselected_curves=[]&last_linear_y_axis_range=[]`,
    shows: () => 'baseline',
  },
  { name: 'models list', route: () => '/models', shows: (d) => d.model },
  { name: 'model', route: (d) => `/models/${d.model}`, shows: () => 'The model the UI pages show.' },
  { name: 'model version', route: (d) => `/models/${d.model}/versions/1`, shows: () => 'The first version.' },
  { name: 'prompts list', route: () => '/prompts', shows: (d) => d.prompt },
  { name: 'prompt', route: (d) => `/prompts/${d.prompt}`, shows: () => 'production' },
];

interface Answer {
  shape: string;
  url: string;
  /** HTTP status, or 0 when the request failed without one. */
  status: number;
  body?: string;
}

interface PageResult {
  answers: Answer[];
  pageErrors: string[];
  /** Why what the page should show did not appear, when it did not. */
  missing?: string;
}

/**
 * What a request is, whatever the server: method and path with ids (run, logged model, trace,
 * experiment) replaced, and the operation of a GraphQL request.
 */
function requestShape(method: string, url: string, postData: string | null): string {
  const { pathname } = new URL(url);
  const normalized = pathname
    .split('/')
    .map((segment) => (/^(m-|tr-)?[0-9a-f]{32}$/.test(segment) ? ':id' : /^\d+$/.test(segment) ? ':n' : segment))
    .join('/');
  let operation = '';
  if (pathname.endsWith('/graphql') && postData !== null) {
    try {
      operation = ` ${(JSON.parse(postData) as { operationName?: string }).operationName ?? ''}`;
    } catch {
      operation = ' (unparsed)';
    }
  }
  return `${method} ${normalized}${operation}`;
}

const idPattern = /\b(m-|tr-)?[0-9a-f]{32}\b/g;

/** Opens every page of `visits` once on the UI at `base`, recording each API answer and page error. */
async function walk(browser: Browser, base: string, data: UiData): Promise<Map<string, PageResult>> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  // nothing leaves the machine: the UI's links to docs and fonts elsewhere are refused at once
  await context.route(
    (url) => !url.href.startsWith(base),
    (route) => route.abort(),
  );
  const page = await context.newPage();
  const results = new Map<string, PageResult>();
  let current: PageResult = { answers: [], pageErrors: [] };
  const bodies: Promise<void>[] = [];
  let inFlight = 0;
  let lastActivity = Date.now();
  const isApi = (url: string) => url.startsWith(base) && !new URL(url).pathname.startsWith('/static-files/') && new URL(url).pathname !== '/';
  page.on('request', (request) => {
    if (!isApi(request.url())) return;
    inFlight++;
    lastActivity = Date.now();
  });
  page.on('requestfinished', (request) => {
    if (!isApi(request.url())) return;
    inFlight--;
    lastActivity = Date.now();
  });
  page.on('requestfailed', (request) => {
    if (!isApi(request.url())) return;
    inFlight--;
    lastActivity = Date.now();
    current.answers.push({
      shape: requestShape(request.method(), request.url(), request.postData()),
      url: request.url(),
      status: 0,
      body: request.failure()?.errorText,
    });
  });
  page.on('response', (response) => {
    const request = response.request();
    if (!isApi(request.url())) return;
    const answer: Answer = { shape: requestShape(request.method(), request.url(), request.postData()), url: request.url(), status: response.status() };
    current.answers.push(answer);
    // every body, short: a failure line shows what each server answered
    bodies.push(
      response.text().then(
        (text) => void (answer.body = text.replace(/\s+/g, ' ').slice(0, 200)),
        () => undefined,
      ),
    );
  });
  page.on('pageerror', (error) => current.pageErrors.push(error.message.split('\n')[0]?.replace(idPattern, ':id') ?? ''));

  for (const visit of visits) {
    current = { answers: [], pageErrors: [] };
    results.set(visit.name, current);
    try {
      await page.goto(`${base}/#${visit.route(data)}`);
      const shows = visit.shows?.(data);
      if (shows !== undefined) await showsText(page, shows);
      await visit.then?.(page, data);
    } catch (error) {
      current.missing = (error as Error).message.split('\n')[0];
    }
    // the page is done when no API request has been in flight for a moment (bounded)
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (inFlight > 0 || Date.now() - lastActivity < 750)) await new Promise((r) => setTimeout(r, 100));
  }
  await Promise.all(bodies);
  await context.close();
  return results;
}

/** Where Cairn's page is worse than MLflow's on the same data: one line per difference. */
function differences(page: string, mlflow: PageResult, cairn: PageResult): string[] {
  const found: string[] = [];
  if (mlflow.missing !== undefined) found.push(`${page}: the page does not behave as this test expects even on mlflow server (${mlflow.missing})`);
  const mlflowAnswers = new Map<string, Answer>();
  const rank = (a: Answer) => (a.status === 0 ? 999 : a.status);
  for (const a of mlflow.answers) if (rank(a) >= rank(mlflowAnswers.get(a.shape) ?? { ...a, status: 1 })) mlflowAnswers.set(a.shape, a);
  const reported = new Set<string>();
  for (const a of cairn.answers) {
    if (a.status !== 0 && a.status < 400) continue;
    const reference = mlflowAnswers.get(a.shape);
    if (reference !== undefined && rank(reference) >= 400) continue; // MLflow refuses it too
    if (reported.has(a.shape)) continue;
    reported.add(a.shape);
    const { pathname, search } = new URL(a.url);
    const operation = a.shape.split(' ')[2];
    found.push(
      `${page}: ${a.shape.split(' ')[0]} ${pathname}${search}${operation ? ` (${operation})` : ''} → Cairn ${a.status || 'no answer'} ${a.body ?? ''} | MLflow ${reference === undefined ? 'never sent it' : `${reference.status} ${reference.body ?? ''}`}`,
    );
  }
  for (const error of new Set(cairn.pageErrors)) if (!mlflow.pageErrors.includes(error)) found.push(`${page}: page error on Cairn only: ${error}`);
  if (cairn.missing !== undefined && mlflow.missing === undefined) found.push(`${page}: shows less than on MLflow: ${cairn.missing}`);
  return found;
}

const dataFrom = (stdout: string): UiData => {
  const line = /^UI DATA (.*)$/m.exec(stdout)?.[1];
  if (line === undefined) throw new Error(`the data script printed no ids:\n${stdout}`);
  return JSON.parse(line) as UiData;
};

describe("MLflow's own web UI in front of Cairn, page by page beside mlflow server", () => {
  let cairn: StartedServer | undefined;
  let mlflow: StartedMlflowServer | undefined;
  const proxies: MlflowUiProxy[] = [];
  let browser: Browser | undefined;
  const logged = {} as Record<'mlflow' | 'cairn', { data: UiData; stdout: string }>;

  beforeAll(async () => {
    const build = mlflowUiBuild();
    const executablePath = chromiumBinary();
    [cairn, mlflow] = await Promise.all([startServer({ app: 'server' }), startMlflowServer()]);
    const servers = { mlflow: mlflow.url, cairn: cairn.url };
    await Promise.all(
      (['mlflow', 'cairn'] as const).map(async (name) => {
        const result = await runMlflowClient(3, dataScript, [], { MLFLOW_TRACKING_URI: servers[name] }, 300_000);
        if (result.code !== 0) throw new Error(`the data script failed against ${name}:\n${result.stdout}\n${result.stderr}`);
        logged[name] = { data: dataFrom(result.stdout), stdout: result.stdout };
      }),
    );
    proxies.push(await serveMlflowUi(build, mlflow.url), await serveMlflowUi(build, cairn.url));
    browser = await chromium.launch({ executablePath });
  }, 480_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all([cairn?.stop(), mlflow?.stop()]);
  }, 60_000);

  it('Cairn accepts every step of the data that mlflow server accepts', () => {
    const refused = (stdout: string) => stdout.split('\n').filter((line) => line.startsWith('FAILED '));
    expect(refused(logged.mlflow.stdout)).toEqual([]);
    expect(refused(logged.cairn.stdout)).toEqual([]);
  });

  it('every page works on Cairn as it works on mlflow server', async () => {
    if (browser === undefined || proxies.length < 2) throw new Error('not started');
    const [mlflowUi, cairnUi] = proxies as [MlflowUiProxy, MlflowUiProxy];
    const onMlflow = await walk(browser, mlflowUi.url, logged.mlflow.data);
    const onCairn = await walk(browser, cairnUi.url, logged.cairn.data);
    const found: string[] = [];
    const rows: string[] = [];
    for (const visit of visits) {
      const m = onMlflow.get(visit.name) as PageResult;
      const c = onCairn.get(visit.name) as PageResult;
      const diff = differences(visit.name, m, c);
      found.push(...diff);
      const verdict = (r: PageResult) =>
        `${r.missing === undefined ? 'shown' : 'MISSING'}, ${r.answers.length} requests, ${r.answers.filter((a) => a.status === 0 || a.status >= 400).length} ≥400, ${r.pageErrors.length} page errors`;
      rows.push(`${visit.name.padEnd(32)} | ${verdict(m).padEnd(50)} | ${diff.length === 0 ? 'ok' : `FAIL (${diff.length})`}: ${verdict(c)}`);
    }
    process.stdout.write(`\n${'page'.padEnd(32)} | ${'mlflow server'.padEnd(50)} | Cairn\n${rows.join('\n')}\n\n${found.join('\n')}\n`);
    expect(found).toEqual([]);
  }, 480_000);
});
