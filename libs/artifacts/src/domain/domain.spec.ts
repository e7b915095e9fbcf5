import { UnsafeArtifactPathError } from '@cairn/blobstore';
import { artifactUriRoot, locateArtifact, locateUserPath, resolveSource } from './artifact-location';
import { decideRange } from './byte-range';
import { decideOnPurge, decideOnReferenceRemoved } from './collection';
import { guessMimeType } from './mime-type';
import { decideUploadAllowance } from './quota';

const RUN = '0123456789abcdef0123456789abcdef';
const MODEL = 'm-0123456789abcdef0123456789abcdef';

describe('locating artifacts in the proxied layout', () => {
  it('finds the run of a run artifact', () => {
    expect(locateArtifact(`1/${RUN}/artifacts/model/MLmodel`)).toEqual({
      path: `1/${RUN}/artifacts/model/MLmodel`,
      ownerKind: 'run',
      ownerId: RUN,
      experimentId: '1',
      relativePath: 'model/MLmodel',
      root: `1/${RUN}/artifacts`,
    });
  });

  it('finds the logged model of a 3.x model artifact', () => {
    expect(locateArtifact(`1/models/${MODEL}/artifacts/MLmodel`)).toMatchObject({ ownerKind: 'logged_model', ownerId: MODEL, relativePath: 'MLmodel' });
  });

  it('gives anything else its directory as owner', () => {
    expect(locateArtifact('1/traces/tr-1/artifacts/traces.json')).toMatchObject({
      ownerKind: 'other',
      ownerId: '1/traces/tr-1/artifacts',
      experimentId: '1',
      relativePath: 'traces.json',
    });
    expect(locateArtifact('loose.txt')).toMatchObject({ ownerKind: 'other', ownerId: '/', experimentId: null });
  });

  it('refuses hostile or root-only user paths', () => {
    expect(() => locateUserPath(`1/${RUN}/artifacts/../../x`)).toThrow(UnsafeArtifactPathError);
    expect(() => locateUserPath(`1/${RUN}/artifacts`)).toThrow(UnsafeArtifactPathError);
  });
});

describe('model version sources', () => {
  it.each([
    [`mlflow-artifacts:/1/${RUN}/artifacts/model`, { kind: 'path', root: `1/${RUN}/artifacts/model` }],
    [`mlflow-artifacts://host:5000/1/${RUN}/artifacts/model`, { kind: 'path', root: `1/${RUN}/artifacts/model` }],
    [`runs:/${RUN}/model`, { kind: 'owner', ownerId: RUN, prefix: 'model' }],
    [`models:/${MODEL}`, { kind: 'owner', ownerId: MODEL, prefix: '' }],
  ])('resolves %s', (source, expected) => expect(resolveSource(source)).toEqual(expected));

  // reliability.md §6.3 B8–B10: sources the proxy must never follow.
  it.each([
    'file:///etc/',
    '/etc/passwd',
    '//proc/self/root',
    'file:///..\\..\\etc',
    'local:/x',
    'mlflow-artifacts://h/..%2f..%2f',
    `mlflow-artifacts:/1/${RUN}/artifacts/%2e%2e/%2e%2e/x`,
    's3:/bucket/a/../../b',
    'http://169.254.169.254/',
    'https://attacker/x',
    `runs:/${RUN}/../../x`,
    'models:/churn/1',
  ])('refuses %s', (source) => expect(() => resolveSource(source)).toThrow(UnsafeArtifactPathError));

  it('reads the root of an artifact URI', () => {
    expect(artifactUriRoot(`mlflow-artifacts:/1/${RUN}/artifacts`)).toBe(`1/${RUN}/artifacts`);
    expect(artifactUriRoot('s3://b/x')).toBeUndefined();
  });
});

describe('byte ranges', () => {
  it.each([
    [undefined, { kind: 'full' }],
    ['bytes=0-3', { kind: 'partial', start: 0, end: 3 }],
    ['bytes=5-', { kind: 'partial', start: 5, end: 9 }],
    ['bytes=-3', { kind: 'partial', start: 7, end: 9 }],
    ['bytes=-30', { kind: 'partial', start: 0, end: 9 }],
    ['bytes=8-100', { kind: 'partial', start: 8, end: 9 }],
    ['bytes=10-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=0-1,3-4', { kind: 'full' }],
    ['items=0-1', { kind: 'full' }],
    ['bytes=5-2', { kind: 'full' }],
  ])('%s of 10 bytes → %j', (header, expected) => expect(decideRange(header, 10)).toEqual(expected));
});

describe('MIME types as MLflow guesses them', () => {
  it.each([
    ['model/MLmodel', 'text/plain'],
    ['report.html', 'text/html'],
    ['model.pkl', 'application/octet-stream'],
    ['conda.yaml', 'text/plain'],
    ['noext', 'application/octet-stream'],
    ['plot.PNG', 'image/png'],
  ])('%s → %s', (name, type) => expect(guessMimeType(name)).toBe(type));
});

describe('quota allowance', () => {
  it('is unlimited without a quota', () => expect(decideUploadAllowance(undefined, 10, 5)).toBeUndefined());
  it('is what remains, counting the file being replaced', () => expect(decideUploadAllowance(100, 60, 30, 20)).toBe(60));
  it('refuses an announced size over the remainder with 413 RESOURCE_EXHAUSTED', () => {
    try {
      decideUploadAllowance(100, 60, 50);
      throw new Error('allowed');
    } catch (error) {
      expect(error).toMatchObject({ code: 'RESOURCE_EXHAUSTED', httpStatus: 413 });
    }
  });
  it('refuses any upload once the quota is used up', () => expect(() => decideUploadAllowance(100, 100, undefined)).toThrow(/quota/));
});

describe('collection decisions', () => {
  it('collects an unreferenced purged run, defers a referenced one, ignores a collected one', () => {
    expect(decideOnPurge({ purge: null, references: 0 })).toBe('collect');
    expect(decideOnPurge({ purge: null, references: 2 })).toBe('defer');
    expect(decideOnPurge({ purge: 'deferred', references: 0 })).toBe('collect');
    expect(decideOnPurge({ purge: 'collected', references: 0 })).toBe('nothing');
  });

  it('collects a deferred run when its last reference goes, not before', () => {
    expect(decideOnReferenceRemoved({ purge: 'deferred', references: 1 })).toBe('nothing');
    expect(decideOnReferenceRemoved({ purge: 'deferred', references: 0 })).toBe('collect');
    expect(decideOnReferenceRemoved({ purge: null, references: 0 })).toBe('nothing');
  });
});
