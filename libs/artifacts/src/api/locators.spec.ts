import type { AccessLookup, AccessRequest } from '@cairn/contracts';
import { locateArtifact } from '../domain/artifact-location';
import { ARTIFACTS_PROXY_ACCESS, UI_ARTIFACTS_ACCESS } from './artifacts.access';
import { insideSource } from './locators';

const RUN = 'a'.repeat(32);
const MODEL = `m-${'b'.repeat(32)}`;
const nothing: AccessLookup = { query: () => Promise.resolve([]) };
const request = (parts: Partial<AccessRequest>): AccessRequest => ({ params: {}, query: {}, body: undefined, ...parts });

function locate(entry: (typeof ARTIFACTS_PROXY_ACCESS)[keyof typeof ARTIFACTS_PROXY_ACCESS], req: AccessRequest, lookup = nothing) {
  if (entry.kind !== 'resource') throw new Error('not located');
  return entry.locate(req, lookup);
}

describe('artifact path locators', () => {
  it('check a proxied upload against the experiment of the first segment, decoded as the path module decodes it', async () => {
    const url = `/api/2.0/mlflow-artifacts/artifacts/%2530%30%37/${RUN}/artifacts/model.pkl?x=1`;
    expect(await locate(ARTIFACTS_PROXY_ACCESS.upload, request({ url, params: { '*': `5/${RUN}/artifacts/model.pkl` } }))).toEqual([
      { type: 'experiment', id: '7' },
    ]);
  });

  it('name nothing for a path the handlers refuse', async () => {
    const url = `/api/2.0/mlflow-artifacts/artifacts/1/../2/${RUN}/artifacts/f`;
    expect(await locate(ARTIFACTS_PROXY_ACCESS.delete, request({ url }))).toEqual([]);
  });

  it('find the multipart marker as the multipart handler does', async () => {
    const url = `/api/2.0/mlflow-artifacts/mpu/create/4/${RUN}/artifacts/big.bin`;
    expect(await locate(ARTIFACTS_PROXY_ACCESS.multipart, request({ url }))).toEqual([{ type: 'experiment', id: '4' }]);
  });

  it('check a listing of the root, which shows every experiment, as every experiment', async () => {
    expect(await locate(ARTIFACTS_PROXY_ACCESS.list, request({ query: {} }))).toEqual([{ type: 'experiment', id: '*' }]);
    expect(await locate(ARTIFACTS_PROXY_ACCESS.list, request({ query: { path: `3/${RUN}/artifacts` } }))).toEqual([{ type: 'experiment', id: '3' }]);
  });

  it('let a model reader in only when the file lies in that model version’s source', async () => {
    const lookup: AccessLookup = {
      query: <R>() =>
        Promise.resolve([
          { name: 'churn', source: `runs:/${RUN}/model` },
          { name: 'other', source: `mlflow-artifacts:/3/${RUN}/artifacts/other-model` },
        ] as R[]),
    };
    const at = (path: string) => request({ url: `/api/2.0/mlflow-artifacts/artifacts/${path}` });
    expect(await locate(ARTIFACTS_PROXY_ACCESS.download, at(`3/${RUN}/artifacts/model/MLmodel`), lookup)).toEqual([
      { type: 'experiment', id: '3' },
      { type: 'registered_model', id: 'churn' },
    ]);
    expect(await locate(ARTIFACTS_PROXY_ACCESS.download, at(`3/${RUN}/artifacts/secrets.txt`), lookup)).toEqual([{ type: 'experiment', id: '3' }]);
  });

  it('match sources by owner and prefix, or by path', () => {
    expect(insideSource(locateArtifact(`1/${RUN}/artifacts/model/a`), `runs:/${RUN}/model`)).toBe(true);
    expect(insideSource(locateArtifact(`1/${RUN}/artifacts/model2/a`), `runs:/${RUN}/model`)).toBe(false);
    expect(insideSource(locateArtifact(`1/models/${MODEL}/artifacts/MLmodel`), `models:/${MODEL}`)).toBe(true);
    expect(insideSource(locateArtifact(`1/x/y`), 'mlflow-artifacts:/1/x')).toBe(true);
    expect(insideSource(locateArtifact(`1/x/y`), 's3://bucket/1/x')).toBe(false);
  });

  it('read the UI download’s run from run_id, else run_uuid, and check the file it serves', async () => {
    const seen: unknown[][] = [];
    const lookup: AccessLookup = {
      query: <R>(_: string, values: unknown[]) => {
        seen.push(values);
        return Promise.resolve([{ experiment_id: '0012' }] as R[]);
      },
    };
    const entry = UI_ARTIFACTS_ACCESS.runArtifact;
    if (entry.kind !== 'resource') throw new Error('not located');
    expect(await entry.locate(request({ query: { run_uuid: RUN, path: 'a/./b.txt' } }), lookup)).toEqual([{ type: 'experiment', id: '12' }]);
    expect(seen).toEqual([[RUN, 'a/b.txt']]);
    expect(await entry.locate(request({ query: { run_id: 'not-a-run', path: 'b.txt' } }), lookup)).toEqual([]);
  });
});
