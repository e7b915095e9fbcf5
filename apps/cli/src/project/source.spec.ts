import path from 'node:path';
import { parseProjectUri } from './source';

describe('a project URI', () => {
  it.each([
    ['examples/churn', { kind: 'local', location: path.resolve('examples/churn') }],
    ['https://github.com/acme/ml.git', { kind: 'git', location: 'https://github.com/acme/ml.git' }],
    ['https://github.com/acme/ml.git#v1.4:projects/churn', { kind: 'git', location: 'https://github.com/acme/ml.git', ref: 'v1.4', subdir: 'projects/churn' }],
    ['git@github.com:acme/ml.git#:projects/churn/', { kind: 'git', location: 'git@github.com:acme/ml.git', subdir: 'projects/churn' }],
    ['file:///srv/ml#main', { kind: 'git', location: 'file:///srv/ml', ref: 'main' }],
    ['/srv/ml#HEAD', { kind: 'git', location: '/srv/ml', ref: 'HEAD' }],
  ])('%s', (uri, expected) => {
    expect(parseProjectUri(uri)).toEqual(expected);
  });

  it('keeps the subdirectory inside the repository', () => {
    expect(() => parseProjectUri('file:///srv/ml#v1:../../etc')).toThrow('must stay inside the repository');
  });
});
