import { randomUUID } from 'node:crypto';
import type { AccessLookup, AccessRequest, RouteAccess } from '@cairn/contracts';
import { Database } from '@cairn/platform';
import { createTestDatabase, type TestDatabase } from '@cairn/testing';
import { CAIRN_REGISTRY_ACCESS, RUN_SUMMARY_ACCESS } from './registry.access';

const request = (query: Record<string, unknown>): AccessRequest => ({ params: {}, query, body: undefined });
const hex = () => randomUUID().replace(/-/g, '');

describe('registry access locators on real rows', () => {
  let db: TestDatabase;
  let database: Database;
  let lookup: AccessLookup;
  const run = hex();
  const loggedModel = `m-${hex()}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    database = new Database(db.url, { max: 2 });
    lookup = { query: async <R>(text: string, values: unknown[]) => (await database.query(text, values)).rows as R[] };
    await database.query(
      `INSERT INTO registry.run_summaries (run_id, experiment_id, name, status, lifecycle_stage, start_time, artifact_uri)
       VALUES ($1, '6', 'r', 'FINISHED', 'active', 0, 'mlflow-artifacts:/6/' || $1 || '/artifacts')`,
      [run],
    );
    await database.query(
      `INSERT INTO registry.logged_models (model_id, experiment_id, source_run_id, artifact_location, creation_time) VALUES ($1, '6', $2, 'x', 0)`,
      [loggedModel, run],
    );
    await database.query(`
      INSERT INTO registry.registered_models (model_id, name, creation_timestamp, last_updated_timestamp)
      VALUES ('rm-a', 'churn', 0, 0), ('rm-b', 'fraud', 0, 0), ('rm-c', 'unrelated', 0, 0)`);
    await database.query(
      `INSERT INTO registry.model_versions (model_id, name, version, creation_timestamp, last_updated_timestamp, source, run_id, logged_model_id) VALUES
         ('rm-a', 'churn', 1, 0, 0, 'runs:/' || $1 || '/model', $1, NULL),
         ('rm-b', 'fraud', 1, 0, 0, 'models:/' || $2, NULL, $2),
         ('rm-c', 'unrelated', 1, 0, 0, 's3://bucket/elsewhere', NULL, NULL)`,
      [run, loggedModel],
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

  it('check lineage against the model and the experiment of the version’s run (also through a logged model)', async () => {
    expect(await locate(CAIRN_REGISTRY_ACCESS.lineage, request({ name: 'churn', version: '1' }))).toEqual([
      { type: 'registered_model', id: 'churn' },
      { type: 'experiment', id: '6' },
    ]);
    expect(await locate(CAIRN_REGISTRY_ACCESS.lineage, request({ name: 'fraud', version: '01' }))).toEqual([
      { type: 'registered_model', id: 'fraud' },
      { type: 'experiment', id: '6' },
    ]);
    expect(await locate(CAIRN_REGISTRY_ACCESS.lineage, request({ name: 'unrelated', version: '1' }))).toEqual([{ type: 'registered_model', id: 'unrelated' }]);
  });

  it('check run references against the run’s experiment and every model it would list', async () => {
    expect(await locate(CAIRN_REGISTRY_ACCESS.runReferences, request({ run_id: run }))).toEqual([
      { type: 'experiment', id: '6' },
      { type: 'registered_model', id: 'churn' },
      { type: 'registered_model', id: 'fraud' },
    ]);
    expect(await locate(RUN_SUMMARY_ACCESS.get, request({ run_id: run }))).toEqual([{ type: 'experiment', id: '6' }]);
    expect(await locate(RUN_SUMMARY_ACCESS.get, request({ run_id: hex() }))).toEqual([]);
  });
});
