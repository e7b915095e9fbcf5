import { modelVersionReferencesRun, runIdsInSource, runsReferencedByModelVersion } from './model-version-runs';

const id = '0123456789abcdef0123456789abcdef';
const other = 'fedcba9876543210fedcba9876543210';

describe('run ids referenced by a model version source', () => {
  it.each([
    [`runs:/${id}/model`, [id]],
    [`runs:/${id}`, [id]],
    [`mlflow-artifacts:/3/${id}/artifacts/model`, [id]],
    [`mlflow-artifacts://cairn:5000/3/${id}/artifacts/model`, [id]],
    [`s3://bucket/prefix/12/${id}/artifacts/model`, [id]],
    [`mlflow-artifacts:/3/${id.slice(0, 8)}%2F..%2F/x`, []],
    [`runs%3A%2F${id}%2Fmodel`, [id]],
    ['models:/m-0123456789abcdef0123456789abcdef', []],
    ['models:/churn/3', []],
    [`runs:/${id.toUpperCase()}/model`, []],
  ])('%s → %j', (source, expected) => {
    expect(runIdsInSource(source)).toEqual(expected);
  });
});

describe('the runs a model version references', () => {
  it('are its run_id, the runs its source points into and its logged model source run, its own run first, once each', () => {
    expect(runsReferencedByModelVersion({ runId: id, source: `mlflow-artifacts:/1/${other}/artifacts/model` }, id)).toEqual([id, other]);
    expect(runsReferencedByModelVersion({ runId: null, source: `models:/m-${id}` }, other)).toEqual([other]);
    expect(runsReferencedByModelVersion({ runId: '', source: 's3://bucket/model' })).toEqual([]);
  });

  it('takes the run from a runs:/ source when the version names none', () => {
    expect(runsReferencedByModelVersion({ runId: null, source: `runs:/${other}/model` })[0]).toBe(other);
    expect(modelVersionReferencesRun({ runId: null, source: `runs%3A%2F${other}%2Fmodel` }, other)).toBe(true);
    expect(modelVersionReferencesRun({ runId: null, source: `runs:/${other}/model` }, id)).toBe(false);
  });
});
