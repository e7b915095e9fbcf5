import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, printSchema } from 'graphql';
import { MLFLOW_GRAPHQL_SDL } from './domain/mlflow-schema.sdl';
import { runMlflowClient, startMlflowServer, startServer, testEndpoints, type StartedMlflowServer, type StartedServer } from '@cairn/testing';

// Issue 20: MLflow's UI loads the experiment header and the whole run page only through /graphql.
// The same data is logged into Cairn and into the pinned `mlflow server` by the official client,
// then the UI's own query documents (read from the wheel's JS build, as the browser sends them) go
// to both, and the answers must match once ids, times and artifact roots are set aside.

const scenario = path.join(__dirname, '..', 'e2e', 'graphql_scenario.py');
const ADMIN_PASSWORD = 'graphql-admin-password';
const READER_PASSWORD = 'graphql-reader-password';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ADMIN = basic('admin', ADMIN_PASSWORD);
const READER = basic('reader', READER_PASSWORD);

/** The UI's query documents, from the pinned wheel's JS build (`mlflow/server/js/build/static/js`). */
function uiQueryDocuments(names: readonly string[]): Record<string, string> {
  const mlflowDir = execFileSync(testEndpoints.mlflowPython(3), ['-c', 'import os, mlflow; print(os.path.dirname(mlflow.__file__))']).toString().trim();
  const dir = path.join(mlflowDir, 'server', 'js', 'build', 'static', 'js');
  const documents: Record<string, string> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
    const source = readFileSync(path.join(dir, file), 'utf8');
    for (const name of names) {
      const start = source.indexOf(`query ${name}(`);
      // Apollo's gql`...` template: the document ends at the closing backtick.
      if (start >= 0 && documents[name] === undefined) documents[name] = source.slice(start, source.indexOf('`', start)).replace(/\\n/g, '\n');
    }
  }
  const missing = names.filter((n) => documents[n] === undefined);
  if (missing.length > 0) throw new Error(`not found in the UI build: ${missing.join(', ')}`);
  return documents;
}

interface Ids {
  experiment_id: string;
  run_id: string;
  running_run_id: string;
  model_id: string;
}

interface Answer {
  data: Record<string, unknown> | null;
  errors: string[] | null;
}

/**
 * What may differ between two servers holding the same data: ids, clocks, the artifact root each
 * was started with, and the order of a run's metrics, params and tags (MLflow: insertion; Cairn:
 * by key, as its REST API answers). Everything else — field names, null vs "" vs "0", numbers as
 * strings — must match.
 */
function normalised(value: unknown, ids: Ids): unknown {
  const replaced = JSON.stringify(value)
    .replaceAll(ids.run_id, '<run>')
    .replaceAll(ids.running_run_id, '<running-run>')
    .replaceAll(ids.model_id, '<model>')
    .replace(/"(creationTime|lastUpdateTime|startTime|creationTimestamp|lastUpdatedTimestamp)":"\d{13}"/g, '"$1":"<now>"')
    .replace(/"(artifactLocation|artifactUri|rootUri)":"[^"]*?(\/\d+(\/<[a-z-]+>\/artifacts(\/notes)?)?)"/g, '"$1":"<root>$2"');
  return sortLists(JSON.parse(replaced));
}

/** graphql-js quotes names with " where graphql-core uses '; the messages are otherwise alike. */
const unquoted = (answer: Answer): Answer => ({ ...answer, errors: answer.errors?.map((e) => e.replaceAll('"', "'")) ?? null });

function sortLists(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(sortLists);
    return items.every((i) => i !== null && typeof i === 'object' && 'key' in i)
      ? items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
      : items;
  }
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sortLists(v)]));
  return value;
}

describe('/graphql answers MLflow UI queries as mlflow server does', () => {
  let mlflow: StartedMlflowServer;
  let mlflowUrl = '';
  let cairn: StartedServer;
  let cairnIds: Ids;
  let mlflowIds: Ids;
  const documents = uiQueryDocuments(['MlflowGetExperimentQuery', 'GetRun', 'SearchRuns', 'GetMetricHistoryBulkInterval']);

  async function graphql(url: string, body: unknown, authorization?: string, route = '/graphql'): Promise<Answer> {
    const send = () =>
      fetch(`${url}${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(body),
      });
    // mlflow server's uvicorn closes a keep-alive connection idle for 5 s; a query sent on a pooled
    // socket just as it closes fails before any answer ("other side closed"): queries are reads, so
    // that one is sent again.
    const response = await send().catch((error: unknown) => {
      if ((error as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw error;
      return send();
    });
    if (response.status !== 200) throw new Error(`${url}${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Answer;
  }

  async function cairnCall(route: string, body: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(`${cairn.url}/api/2.0/mlflow/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: ADMIN },
      body: JSON.stringify(body),
    });
    if (response.status !== 200) throw new Error(`${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  }

  async function logScenario(url: string, env: Record<string, string>): Promise<Ids> {
    const result = await runMlflowClient(3, scenario, [url], env);
    if (result.code !== 0) throw new Error(`graphql_scenario.py failed against ${url}:\n${result.stdout}\n${result.stderr}`);
    return JSON.parse(result.stdout.split('\n').find((line) => line.startsWith('{')) ?? '{}') as Ids;
  }

  beforeAll(async () => {
    [cairn, mlflow] = await Promise.all([startServer({ env: { CAIRN_AUTH: 'basic', CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD } }), startMlflowServer()]);
    mlflowUrl = mlflow.url;
    [cairnIds, mlflowIds] = await Promise.all([
      logScenario(cairn.url, { MLFLOW_TRACKING_URI: cairn.url, MLFLOW_TRACKING_USERNAME: 'admin', MLFLOW_TRACKING_PASSWORD: ADMIN_PASSWORD }),
      logScenario(mlflowUrl, { MLFLOW_TRACKING_URI: mlflowUrl }),
    ]);
    await cairnCall('users/create', { username: 'reader', password: READER_PASSWORD });
  }, 300_000);

  afterAll(() => Promise.all([cairn?.stop(), mlflow?.stop()]), 60_000);

  /** The same request to both servers, with each server's own ids in the variables. */
  async function both(build: (ids: Ids) => unknown): Promise<[unknown, unknown]> {
    const [fromCairn, fromMlflow] = await Promise.all([graphql(cairn.url, build(cairnIds), ADMIN), graphql(mlflowUrl, build(mlflowIds))]);
    return [normalised(unquoted(fromCairn), cairnIds), normalised(fromMlflow, mlflowIds)];
  }

  it('serves the schema MLflow 3.18 publishes, type names included', () => {
    const published = execFileSync(testEndpoints.mlflowPython(3), [
      '-c',
      'from mlflow.server.graphql.graphql_schema_extensions import schema; print(schema)',
    ]).toString();
    expect(printSchema(buildSchema(MLFLOW_GRAPHQL_SDL))).toBe(printSchema(buildSchema(published)));
  });

  it.each([
    ['the experiment header (MlflowGetExperimentQuery)', 'MlflowGetExperimentQuery', (ids: Ids) => ({ input: { experimentId: ids.experiment_id } })],
    ['the run page of a finished run (GetRun)', 'GetRun', (ids: Ids) => ({ data: { runId: ids.run_id } })],
    ['the run page of a running run: endTime "0", empty lists', 'GetRun', (ids: Ids) => ({ data: { runId: ids.running_run_id } })],
    [
      'the evaluation view (SearchRuns)',
      'SearchRuns',
      (ids: Ids) => ({ data: { filter: `attributes.run_id = '${ids.run_id}'`, experimentIds: [ids.experiment_id] } }),
    ],
    [
      'a metric chart (GetMetricHistoryBulkInterval)',
      'GetMetricHistoryBulkInterval',
      (ids: Ids) => ({ data: { runIds: [ids.run_id], metricKey: 'loss', maxResults: 320 } }),
    ],
  ] as const)('%s', async (_title, name, variables) => {
    const [fromCairn, fromMlflow] = await both((ids) => ({ operationName: name, query: documents[name], variables: variables(ids) }));
    expect(fromCairn).toEqual(fromMlflow);
    expect((fromCairn as Answer).errors).toBeNull();
  });

  it('answers the fields the UI does not ask for as MLflow does (proto defaults: "" and "0", not null)', async () => {
    const query = `query V($run: String) {
      mlflowSearchModelVersions(input: {filter: "name='graphql-model'"}) {
        modelVersions { name version userId currentStage description source runId status statusMessage tags { key value } runLink aliases modelId
          modelParams { name value } modelMetrics { key } deploymentJobState { jobId runState } }
        nextPageToken apiError { code }
      }
      mlflowGetRun(input: {runId: $run}) { run { info { runId runUuid } data { metrics { key value datasetName datasetDigest modelId runId } } } }
      mlflowGetExperiment(input: {experimentId: "0"}) { experiment { experimentId name tags { key } effectiveTraceArchivalRetention workspace } }
    }`;
    const [fromCairn, fromMlflow] = await both((ids) => ({ query, variables: { run: ids.run_id } }));
    expect(fromCairn).toEqual(fromMlflow);
    const [listing, listingReference] = await both((ids) => ({
      query: `{ root: mlflowListArtifacts(input: {runId: "${ids.run_id}"}) { rootUri files { path isDir fileSize } nextPageToken }
        notes: mlflowListArtifacts(input: {runUuid: "${ids.run_id}", path: "notes"}) { rootUri files { path isDir fileSize } } }`,
    }));
    expect(listing).toEqual(listingReference);
    expect(JSON.stringify(listing)).toContain('"path":"notes/hello.txt","isDir":false,"fileSize":"5"');
    const [datasets, datasetsReference] = await both((ids) => ({
      query: `mutation { mlflowSearchDatasets(input: {experimentIds: ["${ids.experiment_id}"]}) { datasetSummaries { experimentId name digest context } } }`,
    }));
    expect(datasets).toEqual(datasetsReference);
  });

  it('reports unknown fields, unknown runs and bad variables in `errors`, as MLflow does', async () => {
    for (const request of [
      { query: '{ mlflowGetExperiment(input: {experimentId: "1"}) { nope } }' },
      { query: '{ mlflowGetRun(input: {runId: "no-such-run"}) { run { info { runId } } } }' },
    ]) {
      const [fromCairn, fromMlflow] = await Promise.all([graphql(cairn.url, request, ADMIN), graphql(mlflowUrl, request)]);
      expect(unquoted(fromCairn)).toEqual(fromMlflow);
    }
    const badVariables = { query: 'query Q($d: MlflowGetRunInput!) { mlflowGetRun(input: $d) { run { info { runId } } } }', variables: { d: { bogus: 1 } } };
    const [fromCairn, fromMlflow] = await Promise.all([graphql(cairn.url, badVariables, ADMIN), graphql(mlflowUrl, badVariables)]);
    for (const answer of [unquoted(fromCairn), fromMlflow]) {
      expect(answer.data).toBeNull();
      expect(answer.errors).toHaveLength(1);
      expect(answer.errors?.[0]).toContain("Field 'bogus' is not defined by type 'MlflowGetRunInput'.");
    }
  });

  it('refuses a hostile query before running it: too deep, too many aliases, cyclic fragments', async () => {
    // Checked before validation, as MLflow does: the field names need not even exist.
    const deep = `{ ${'a { '.repeat(12)}b${' }'.repeat(12)} }`;
    const [fromCairn, fromMlflow] = await Promise.all([graphql(cairn.url, { query: deep }, ADMIN), graphql(mlflowUrl, { query: deep })]);
    expect(fromCairn).toEqual({ data: null, errors: ['Query exceeds maximum depth of 10'] });
    expect(fromCairn).toEqual(fromMlflow);

    const aliases = `{ run { ${Array.from({ length: 11 }, (_, i) => `a${i}: info { runId }`).join(' ')} } }`;
    const [tooMany, tooManyReference] = await Promise.all([graphql(cairn.url, { query: aliases }, ADMIN), graphql(mlflowUrl, { query: aliases })]);
    expect(tooMany).toEqual({ data: null, errors: ['GraphQL queries should have at most 10 aliases, got 11 aliases.'] });
    expect(tooManyReference.errors?.[0]).toContain(tooMany.errors?.[0]?.replace(/\.$/, ''));

    const cyclic = '{ ...R } fragment R on Query { test(inputString: "x") { output } ...S } fragment S on Query { ...R }';
    expect((await graphql(cairn.url, { query: cyclic }, ADMIN)).errors).toEqual(['Cannot spread fragment "R" within itself via "S".']);
  });

  it('also answers under /ajax-api/graphql, and queries (not mutations) over GET', async () => {
    const byUrl = async (query: string, variables: unknown) => {
      const params = new URLSearchParams({ query, variables: JSON.stringify(variables) });
      const response = await fetch(`${cairn.url}/graphql?${params}`, { headers: { authorization: ADMIN } });
      return (await response.json()) as Answer;
    };
    const header = await byUrl(documents['MlflowGetExperimentQuery'] ?? '', { input: { experimentId: cairnIds.experiment_id } });
    expect((header.data?.['mlflowGetExperiment'] as { experiment: { name: string } }).experiment.name).toBe('graphql-parity');
    expect((await byUrl('mutation { testMutation(inputString: "x") { output } }', {})).errors).toEqual([
      'Only queries can be sent with GET; send mutations with POST.',
    ]);

    const answer = await graphql(cairn.url, { query: documents['GetRun'], variables: { data: { runId: cairnIds.run_id } } }, ADMIN, '/ajax-api/graphql');
    expect((answer.data?.['mlflowGetRun'] as { run: { info: { runName: string } } }).run.info.runName).toBe('graphql-run');
  });

  it('gives a user without READ on the experiment no data about it, and the same queries answer once READ is granted', async () => {
    const asReader = (body: unknown) => graphql(cairn.url, body, READER);
    const header = { query: documents['MlflowGetExperimentQuery'], variables: { input: { experimentId: cairnIds.experiment_id } } };
    const run = { query: documents['GetRun'], variables: { data: { runId: cairnIds.run_id } } };
    const search = { query: documents['SearchRuns'], variables: { data: { filter: '', experimentIds: [cairnIds.experiment_id] } } };
    const chart = {
      query: documents['GetMetricHistoryBulkInterval'],
      variables: { data: { runIds: [cairnIds.run_id], metricKey: 'loss', maxResults: 320 } },
    };
    const datasets = { query: `mutation { mlflowSearchDatasets(input: {experimentIds: ["${cairnIds.experiment_id}"]}) { datasetSummaries { name } } }` };
    const versions = { query: `{ mlflowSearchModelVersions(input: {filter: "name='graphql-model'"}) { modelVersions { name } } }` };

    expect(await asReader(header)).toEqual({ data: { mlflowGetExperiment: null }, errors: null });
    expect(await asReader(run)).toEqual({ data: { mlflowGetRun: null }, errors: null });
    expect(await asReader(search)).toEqual({ data: { mlflowSearchRuns: null }, errors: null });
    expect(await asReader(chart)).toEqual({ data: { mlflowGetMetricHistoryBulkInterval: null }, errors: null });
    expect(await asReader(datasets)).toEqual({ data: { mlflowSearchDatasets: null }, errors: null });
    expect(await asReader(versions)).toEqual({ data: { mlflowSearchModelVersions: { modelVersions: [] } }, errors: null });
    // Nobody signed in: refused before any field runs.
    expect((await fetch(`${cairn.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(run) })).status).toBe(
      401,
    );

    await cairnCall('experiments/permissions/create', { experiment_id: cairnIds.experiment_id, username: 'reader', permission: 'READ' });
    const granted = await asReader(run);
    const readerRun = (granted.data?.['mlflowGetRun'] as { run: { info: { runName: string }; modelVersions: unknown[] } }).run;
    expect(readerRun.info.runName).toBe('graphql-run');
    // READ on the experiment does not open the registered model: its version stays out of the run.
    expect(readerRun.modelVersions).toEqual([]);
    expect(((await asReader(search)).data?.['mlflowSearchRuns'] as { runs: unknown[] }).runs).toHaveLength(2);
    await cairnCall('registered-models/permissions/create', { name: 'graphql-model', username: 'reader', permission: 'READ' });
    expect(await asReader(versions)).toEqual({ data: { mlflowSearchModelVersions: { modelVersions: [{ name: 'graphql-model' }] } }, errors: null });
  });
});
