import type { AccessLookup, AccessRequest, RouteAccess } from '@cairn/contracts';
import { ALIAS_RESOLVE_ACCESS, MODEL_READS_ACCESS, REGISTRY_ACCESS } from './registry.access';

const nothing: AccessLookup = { query: () => Promise.resolve([]) };
const request = (parts: Partial<AccessRequest>): AccessRequest => ({ params: {}, query: {}, body: undefined, ...parts });

function locate(entry: RouteAccess, req: AccessRequest) {
  if (entry.kind !== 'resource') throw new Error('not located');
  return entry.locate(req, nothing);
}

describe('registry locators read the model name the handlers read', () => {
  it('take a write’s name from its body only', async () => {
    expect(await locate(REGISTRY_ACCESS.setAlias, request({ body: { name: 'churn', alias: 'champion', version: 1 } }))).toEqual([
      { type: 'registered_model', id: 'churn' },
    ]);
    // The handler reads only the body: a name in the query string is not what it acts on.
    expect(await locate(REGISTRY_ACCESS.transitionStage, request({ body: { version: 1 }, query: { name: 'churn' } }))).toEqual([]);
  });

  it('take a read’s name from the first value of the query key', async () => {
    expect(await locate(MODEL_READS_ACCESS.getModelVersionByAlias, request({ query: { name: ['a', 'b'], alias: 'x' } }))).toEqual([
      { type: 'registered_model', id: 'a' },
    ]);
    expect(await locate(ALIAS_RESOLVE_ACCESS, request({ query: { name: 'churn', alias: 'champion' } }))).toEqual([{ type: 'registered_model', id: 'churn' }]);
  });

  it('name nothing when the handler would refuse the name', async () => {
    expect(await locate(REGISTRY_ACCESS.deleteRegisteredModel, request({ body: { name: '' } }))).toEqual([]);
    expect(await locate(REGISTRY_ACCESS.deleteRegisteredModel, request({ body: { name: 7 } }))).toEqual([]);
  });

  it('admit serving tokens to the reads that load a model, and to nothing that writes', () => {
    const serving = Object.entries({ ...REGISTRY_ACCESS, ...MODEL_READS_ACCESS })
      .filter(([, e]) => e.kind === 'resource' && e.serving === true)
      .map(([k]) => k)
      .sort();
    expect(serving).toEqual([
      'getDownloadUri',
      'getLatestVersionsGet',
      'getLatestVersionsPost',
      'getModelVersion',
      'getModelVersionByAlias',
      'getRegisteredModel',
    ]);
  });
});
