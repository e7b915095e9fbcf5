import { randomUUID } from 'node:crypto';
import type { AccessLookup, AccessRequest, RouteAccess } from '@cairn/contracts';
import { Database } from '@cairn/platform';
import { createTestDatabase, type TestDatabase } from '@cairn/testing';
import { RUN_ENVIRONMENT_ACCESS } from './run-environment.access';
import { TRACKING_ACCESS } from './tracking.access';

const request = (parts: Partial<AccessRequest>): AccessRequest => ({ params: {}, query: {}, body: undefined, ...parts });
const hex = () => randomUUID().replace(/-/g, '');

describe('tracking access locators on real rows', () => {
  let db: TestDatabase;
  let database: Database;
  let lookup: AccessLookup;
  const runInTwo = hex();
  const runInThree = hex();
  const modelInThree = `m-${hex()}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    database = new Database(db.url, { max: 2 });
    lookup = { query: async <R>(text: string, values: unknown[]) => (await database.query(text, values)).rows as R[] };
    await database.query(`
      INSERT INTO tracking.experiments (experiment_id, name, artifact_location)
      VALUES (2, 'fraud', 'mlflow-artifacts:/2'), (3, 'churn', 'mlflow-artifacts:/3')`);
    await database.query(`INSERT INTO tracking.runs (run_uuid, experiment_id, status) VALUES ($1, 2, 'RUNNING'), ($2, 3, 'RUNNING')`, [runInTwo, runInThree]);
    await database.query(
      `INSERT INTO tracking.logged_models (model_id, experiment_id, name, artifact_location, creation_timestamp_ms, last_updated_timestamp_ms, status)
       VALUES ($1, 3, 'clf', 'mlflow-artifacts:/3/models/x/artifacts', 0, 0, 'LOGGED_MODEL_READY')`,
      [modelInThree],
    );
  }, 60_000);

  afterAll(async () => {
    await database?.close();
    await db?.drop();
  });

  function locate(entry: RouteAccess, req: AccessRequest) {
    if (entry.kind !== 'resource') throw new Error('not located');
    return entry.locate(req, lookup);
  }

  it('check a write to a run against the run’s experiment, not one the caller names beside it', async () => {
    expect(await locate(TRACKING_ACCESS.logBatch, request({ body: { run_id: runInTwo, experiment_id: '3' } }))).toEqual([{ type: 'experiment', id: '2' }]);
    expect(await locate(TRACKING_ACCESS.deleteRun, request({ body: { run_uuid: runInThree } }))).toEqual([{ type: 'experiment', id: '3' }]);
  });

  it('check a bulk read against every run’s experiment, and name nothing for an unknown run', async () => {
    expect(
      await locate(TRACKING_ACCESS.getMetricHistoryBulkInterval, request({ query: { run_ids: [runInTwo, runInThree, hex()], metric_key: 'loss' } })),
    ).toEqual([
      { type: 'experiment', id: '2' },
      { type: 'experiment', id: '3' },
    ]);
    expect(await locate(TRACKING_ACCESS.getRun, request({ query: { run_id: hex() } }))).toEqual([]);
  });

  it('check an environment diff against both runs’ experiments', async () => {
    expect(await locate(RUN_ENVIRONMENT_ACCESS.environmentDiff, request({ query: { run_a: runInTwo, run_b: runInThree } }))).toEqual([
      { type: 'experiment', id: '2' },
      { type: 'experiment', id: '3' },
    ]);
    expect(await locate(RUN_ENVIRONMENT_ACCESS.environmentDiff, request({ query: { run_a: runInTwo } }))).toEqual([]);
  });

  it('find an experiment by its name and a logged model by its id', async () => {
    expect(await locate(TRACKING_ACCESS.getExperimentByName, request({ query: { experiment_name: 'churn' } }))).toEqual([{ type: 'experiment', id: '3' }]);
    expect(await locate(TRACKING_ACCESS.getExperimentByName, request({ query: { experiment_name: 'nobody' } }))).toEqual([]);
    expect(await locate(TRACKING_ACCESS.deleteLoggedModel, request({ params: { modelId: modelInThree } }))).toEqual([{ type: 'experiment', id: '3' }]);
  });
});
