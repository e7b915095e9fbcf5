import { READ_ALL, type AccessContext, type Permission, type ReadScope } from '@cairn/contracts';
import type { ArtifactQueries } from '@cairn/artifacts';
import type { RegistryQueries } from '@cairn/registry';
import type { ExperimentView, RunView, TrackingQueries } from '@cairn/tracking';
import { MlflowGraphql } from './mlflow-graphql';

const experiment: ExperimentView = {
  experimentId: '7',
  name: 'churn',
  artifactLocation: 'mlflow-artifacts:/7',
  lifecycleStage: 'active',
  creationTime: 1_700_000_000_000,
  lastUpdateTime: 1_700_000_000_500,
  tags: [{ key: 'team', value: 'ml' }],
};

const run: RunView = {
  runId: 'r1',
  experimentId: '7',
  name: 'nightly',
  userId: 'rita',
  status: 'RUNNING',
  startTime: 1_700_000_000_000,
  endTime: null,
  lifecycleStage: 'active',
  artifactUri: 'mlflow-artifacts:/7/r1/artifacts',
  metrics: [
    { key: 'auc', value: 0.91, timestamp: 1_700_000_000_001, step: 3 },
    { key: 'loss', value: Number.NaN, timestamp: 1_700_000_000_002, step: 4 },
  ],
  params: [{ key: 'lr', value: '0.05' }],
  tags: [],
  datasetInputs: [{ name: 'train', digest: 'd1', sourceType: 'local', source: 's', schema: null, profile: null, tags: [] }],
  modelInputs: [],
  modelOutputs: [{ modelId: 'm-1', step: 3 }],
};

const tracking = {
  run: async (id: string) => {
    if (id === 'broken') throw new TypeError("Cannot read properties of undefined (reading 'secret_column')");
    if (id !== run.runId) throw Object.assign(new Error('pg: relation does not exist'), { internal: true });
    return run;
  },
  experiment: async () => {
    experimentReads++;
    return experiment;
  },
  searchRuns: async (request: { maxResults: number }) => {
    searchedPages.push(request.maxResults);
    return { items: [run, run, run], nextPageToken: 'next' };
  },
} as unknown as TrackingQueries;
let experimentReads = 0;
const searchedPages: number[] = [];

const registry = {
  versionsReferencingRun: async (_runId: string, scope: ReadScope) =>
    scope.kind === 'all'
      ? [
          {
            name: 'churn-gbm',
            version: '2',
            creationTimestamp: 1_700_000_000_100,
            lastUpdatedTimestamp: 1_700_000_000_100,
            userId: null,
            currentStage: 'None',
            description: null,
            source: 'runs:/r1/model',
            runId: 'r1',
            status: 'READY',
            tags: [],
            runLink: null,
            aliases: [],
            loggedModelId: null,
          },
        ]
      : [],
} as unknown as RegistryQueries;

/** A caller holding `experiments[id]` on experiments (else nothing) and READ on every model or none. */
function caller(experiments: Record<string, Permission>, models: ReadScope = READ_ALL): AccessContext {
  return {
    principal: { kind: 'user', userId: 2, username: 'rita', actor: 'rita', isAdmin: false, groups: [] },
    permissionOn: async (type, id) => (type === 'experiment' ? (experiments[id] ?? 'NO_PERMISSIONS') : 'NO_PERMISSIONS'),
    readable: async (type) => (type === 'experiment' ? { kind: 'only', ids: Object.keys(experiments) } : models),
  };
}

const artifacts = {
  listRun: async () => ({
    rootUri: 'mlflow-artifacts:/7/r1/artifacts',
    files: [
      { path: 'model', is_dir: true },
      { path: 'notes.txt', is_dir: false, file_size: 12 },
    ],
  }),
} as unknown as ArtifactQueries;

const graphql = new MlflowGraphql(tracking, registry, artifacts);
const reader = caller({ '7': 'READ' });

describe('MlflowGraphql', () => {
  it('maps a run as MLflow does: int64 as strings, unset end time "0", NaN null, empty lists [], versions of readable models', async () => {
    const answer = await graphql.execute(
      {
        query: `{ mlflowGetRun(input: {runUuid: "r1"}) { apiError { code } run {
          info { runId runName status startTime endTime }
          data { metrics { key value step timestamp datasetName } params { key value } tags { key } }
          inputs { datasetInputs { dataset { name schema profile } tags { key } } modelInputs { modelId } }
          outputs { modelOutputs { modelId step } }
          experiment { experimentId creationTime tags { key value } workspace }
          modelVersions { name version status userId runLink creationTimestamp }
        } } }`,
      },
      reader,
    );
    expect(answer).toEqual({
      data: {
        mlflowGetRun: {
          apiError: null,
          run: {
            info: { runId: 'r1', runName: 'nightly', status: 'RUNNING', startTime: '1700000000000', endTime: '0' },
            data: {
              metrics: [
                { key: 'auc', value: 0.91, step: '3', timestamp: '1700000000001', datasetName: '' },
                { key: 'loss', value: null, step: '4', timestamp: '1700000000002', datasetName: '' },
              ],
              params: [{ key: 'lr', value: '0.05' }],
              tags: [],
            },
            inputs: { datasetInputs: [{ dataset: { name: 'train', schema: '', profile: '' }, tags: [] }], modelInputs: [] },
            outputs: { modelOutputs: [{ modelId: 'm-1', step: '3' }] },
            experiment: { experimentId: '7', creationTime: '1700000000000', tags: [{ key: 'team', value: 'ml' }], workspace: 'default' },
            modelVersions: [{ name: 'churn-gbm', version: '2', status: 'READY', userId: '', runLink: '', creationTimestamp: '1700000000100' }],
          },
        },
      },
      errors: null,
    });
  });

  it("lists a run's artifacts with sizes as strings and directories without a size", async () => {
    const answer = await graphql.execute(
      { query: '{ mlflowListArtifacts(input: {runId: "r1"}) { rootUri files { path isDir fileSize } nextPageToken } }' },
      reader,
    );
    expect(answer).toEqual({
      data: {
        mlflowListArtifacts: {
          rootUri: 'mlflow-artifacts:/7/r1/artifacts',
          files: [
            { path: 'model', isDir: true, fileSize: '0' },
            { path: 'notes.txt', isDir: false, fileSize: '12' },
          ],
          nextPageToken: '',
        },
      },
      errors: null,
    });
    expect((await graphql.execute({ query: '{ mlflowListArtifacts(input: {runId: "r1"}) { rootUri } }' }, caller({}))).data).toEqual({
      mlflowListArtifacts: null,
    });
  });

  it('pages run searches by at most 1000 runs and reads each experiment once per request', async () => {
    experimentReads = 0;
    const answer = await graphql.execute(
      { query: '{ mlflowSearchRuns(input: {experimentIds: ["7"], maxResults: 50000}) { nextPageToken runs { experiment { name } } } }' },
      reader,
    );
    expect(answer).toEqual({
      data: { mlflowSearchRuns: { nextPageToken: 'next', runs: [1, 2, 3].map(() => ({ experiment: { name: 'churn' } })) } },
      errors: null,
    });
    expect(searchedPages).toEqual([1000]);
    expect(experimentReads).toBe(1);
  });

  it('leaves out the versions of models the caller may not read', async () => {
    const answer = await graphql.execute(
      { query: '{ mlflowGetRun(input: {runId: "r1"}) { run { modelVersions { name } } } }' },
      caller({ '7': 'READ' }, { kind: 'only', ids: [] }),
    );
    expect(answer).toEqual({ data: { mlflowGetRun: { run: { modelVersions: [] } } }, errors: null });
  });

  it('gives a caller without READ on the experiment null, with no error saying anything about it', async () => {
    const stranger = caller({ '8': 'READ' });
    const query = '{ mlflowGetExperiment(input: {experimentId: "7"}) { experiment { name } } mlflowGetRun(input: {runId: "r1"}) { run { info { runName } } } }';
    expect(await graphql.execute({ query }, stranger)).toEqual({ data: { mlflowGetExperiment: null, mlflowGetRun: null }, errors: null });
    expect(await graphql.execute({ query: '{ mlflowSearchRuns(input: {experimentIds: ["7"]}) { runs { info { runId } } } }' }, stranger)).toEqual({
      data: { mlflowSearchRuns: null },
      errors: null,
    });
  });

  it('checks READ against the experiment id Postgres reads (007 is experiment 7)', async () => {
    const answer = await graphql.execute({ query: '{ mlflowGetExperiment(input: {experimentId: "007"}) { experiment { name } } }' }, caller({ '8': 'READ' }));
    expect(answer.data).toEqual({ mlflowGetExperiment: null });
  });

  it('answers unknown fields, syntax errors and over-deep queries with errors and no data', async () => {
    expect(await graphql.execute({ query: '{ mlflowGetRun(input: {runId: "r1"}) { secret } }' }, reader)).toEqual({
      data: null,
      errors: ['Cannot query field "secret" on type "MlflowGetRunResponse".'],
    });
    expect((await graphql.execute({ query: '{ mlflowGetRun(' }, reader)).errors).toEqual(['Syntax Error: Expected Name, found <EOF>.']);
    expect(await graphql.execute({ query: `{ ${'a { '.repeat(11)}b${' }'.repeat(11)} }` }, reader)).toEqual({
      data: null,
      errors: ['Query exceeds maximum depth of 10'],
    });
    expect(await graphql.execute({ query: undefined }, reader)).toEqual({ data: null, errors: ['Must provide query string.'] });
  });

  it('refuses a document larger than the parser bound before building it', async () => {
    const answer = await graphql.execute({ query: `{ ${'test(inputString: "x") { output } '.repeat(2000)} }` }, reader);
    expect(answer.errors?.[0]).toMatch(/^Syntax Error: Document contains more tha[nt] 5000 tokens/);
  });

  it('shows what was wrong with a request, but not the text of an internal failure', async () => {
    const answer = await graphql.execute({ query: '{ mlflowGetRun(input: {runId: "other"}) { run { info { runId } } } }' }, reader);
    expect(answer).toEqual({ data: { mlflowGetRun: null }, errors: ['Internal error'] });
    // A bug's TypeError is internal too; only the LongString scalar's refusals are the caller's.
    const bug = await graphql.execute({ query: '{ mlflowGetRun(input: {runId: "broken"}) { run { info { runId } } } }' }, reader);
    expect(bug.errors).toEqual(['Internal error']);
  });

  it('runs queries but not mutations when asked to (GET)', async () => {
    const mutation = await graphql.execute({ query: 'mutation { testMutation(inputString: "x") { output } }' }, reader, { queriesOnly: true });
    expect(mutation).toEqual({ data: null, errors: ['Only queries can be sent with GET; send mutations with POST.'] });
    expect(await graphql.execute({ query: '{ test(inputString: "x") { output } }' }, reader, { queriesOnly: true })).toEqual({
      data: { test: { output: 'x' } },
      errors: null,
    });
  });
});
