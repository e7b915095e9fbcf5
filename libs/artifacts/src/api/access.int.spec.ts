import { randomUUID } from 'node:crypto';
import type { AccessLookup, AccessRequest, RouteAccess } from '@cairn/contracts';
import { Database } from '@cairn/platform';
import { createTestDatabase, type TestDatabase } from '@cairn/testing';
import { ARTIFACTS_PROXY_ACCESS, CAIRN_ARTIFACTS_ACCESS, UI_ARTIFACTS_ACCESS } from './artifacts.access';

const request = (parts: Partial<AccessRequest>): AccessRequest => ({ params: {}, query: {}, body: undefined, ...parts });
const hex = () => randomUUID().replace(/-/g, '');

describe('artifact access locators on real rows', () => {
  let db: TestDatabase;
  let database: Database;
  let lookup: AccessLookup;
  const run = hex();
  const loggedModel = `m-${hex()}`;
  const digest = 'c'.repeat(64);

  beforeAll(async () => {
    db = await createTestDatabase();
    database = new Database(db.url, { max: 2 });
    lookup = { query: async <R>(text: string, values: unknown[]) => (await database.query(text, values)).rows as R[] };
    await database.query(`INSERT INTO artifacts.objects (digest, storage_key, size, ref_count) VALUES ($1, 'k', 1, 3)`, [digest]);
    await database.query(
      `INSERT INTO artifacts.files (path, owner_kind, owner_id, experiment_id, relative_path, digest, size) VALUES
         ($1 || '/artifacts/model/MLmodel', 'run', $2, '4', 'model/MLmodel', $4, 1),
         ($1 || '/artifacts/notes.txt', 'run', $2, '4', 'notes.txt', $4, 1),
         ('4/models/' || $3 || '/artifacts/MLmodel', 'logged_model', $3, '4', 'MLmodel', $4, 1)`,
      [`4/${run}`, run, loggedModel, digest],
    );
    await database.query(
      `INSERT INTO artifacts.model_version_refs (model_id, version, name, source, run_id, logged_model_id) VALUES
         ('rm-1', '1', 'churn', 'runs:/' || $1 || '/model', $1, NULL),
         ('rm-2', '1', 'fraud', 'models:/' || $2, $1, $2)`,
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
  const proxied = (path: string) => request({ url: `/api/2.0/mlflow-artifacts/artifacts/${path}` });

  it('open a run’s model files to the experiment and to the model registered from them, and its other files to the experiment only', async () => {
    expect(await locate(ARTIFACTS_PROXY_ACCESS.download, proxied(`4/${run}/artifacts/model/MLmodel`))).toEqual([
      { type: 'experiment', id: '4' },
      { type: 'registered_model', id: 'churn' },
    ]);
    expect(await locate(ARTIFACTS_PROXY_ACCESS.download, proxied(`4/${run}/artifacts/notes.txt`))).toEqual([{ type: 'experiment', id: '4' }]);
    expect(await locate(ARTIFACTS_PROXY_ACCESS.list, request({ query: { path: `4/${run}/artifacts/model` } }))).toEqual([
      { type: 'experiment', id: '4' },
      { type: 'registered_model', id: 'churn' },
    ]);
  });

  it('open a logged model’s files to the model whose version was made from it', async () => {
    expect(await locate(ARTIFACTS_PROXY_ACCESS.download, proxied(`4/models/${loggedModel}/artifacts/MLmodel`))).toEqual([
      { type: 'experiment', id: '4' },
      { type: 'registered_model', id: 'fraud' },
    ]);
  });

  it('check the UI download, the run listing and usage against the experiment the run’s files are under', async () => {
    expect(await locate(UI_ARTIFACTS_ACCESS.runArtifact, request({ query: { run_uuid: run, path: 'notes.txt' } }))).toEqual([{ type: 'experiment', id: '4' }]);
    expect(await locate(UI_ARTIFACTS_ACCESS.runArtifact, request({ query: { run_id: run, path: 'missing.txt' } }))).toEqual([]);
    expect(await locate(CAIRN_ARTIFACTS_ACCESS.listRun, request({ query: { run_id: run } }))).toEqual([{ type: 'experiment', id: '4' }]);
    expect(await locate(CAIRN_ARTIFACTS_ACCESS.usage, request({ query: { run_id: run } }))).toEqual([{ type: 'experiment', id: '4' }]);
  });
});
