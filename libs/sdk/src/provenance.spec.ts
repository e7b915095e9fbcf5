import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  dvcDataHash,
  fileProvenanceTags,
  MAX_TAG_VALUE_LENGTH,
  packageLockVersions,
  packagesTagValue,
  parseDvcOuts,
  requirementsVersions,
  sha256,
  withoutCredentials,
} from './provenance';

const DVC_LOCK = `schema: '2.0'
stages:
  prepare:
    cmd: python src/prepare.py data/data.xml
    deps:
    - path: data/data.xml
      md5: a304afb96060aad90176268345e10355
      size: 37891850
    - path: src/prepare.py
      md5: f09ea0c15980b43010257ccb9f0055e2
      size: 1576
    params:
      params.yaml:
        prepare.seed: 20170428
    outs:
    - path: data/prepared
      md5: 153aad06d376ec6e6f0040db8b39eb3d.dir
      size: 8437363
      nfiles: 2
  featurize:
    cmd: python src/featurization.py data/prepared data/features
    deps:
    - path: data/prepared
      md5: 153aad06d376ec6e6f0040db8b39eb3d.dir
    outs:
      - path: "data/features"
        md5: '68e8c8b4ac7e4b5dbd3c2cb5d5b2cbf4.dir'
        size: 2232588
        nfiles: 2
`;

const DOT_DVC = `outs:
- md5: 22a1a2931c8370d3aeedd7183606fd7f
  size: 14445097
  hash: md5
  path: data.xml
`;

describe('DVC outputs', () => {
  it('reads every stage’s outs from dvc.lock (list items at either indent), not its deps', () => {
    expect(parseDvcOuts(DVC_LOCK, 'dvc.lock')).toEqual([
      { file: 'dvc.lock', path: 'data/prepared', md5: '153aad06d376ec6e6f0040db8b39eb3d.dir' },
      { file: 'dvc.lock', path: 'data/features', md5: '68e8c8b4ac7e4b5dbd3c2cb5d5b2cbf4.dir' },
    ]);
  });

  it('reads a .dvc file whose path comes after md5', () => {
    expect(parseDvcOuts(DOT_DVC, 'data.xml.dvc')).toEqual([{ file: 'data.xml.dvc', path: 'data.xml', md5: '22a1a2931c8370d3aeedd7183606fd7f' }]);
  });

  it('hashes the data version deterministically: order and formatting do not matter, a changed md5 does', () => {
    const outs = parseDvcOuts(DVC_LOCK, 'dvc.lock');
    const hash = dvcDataHash(outs);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(dvcDataHash([...outs].reverse())).toBe(hash);
    const reformatted = DVC_LOCK.replace('      - path: "data/features"', '    - path: data/features')
      .replace("        md5: '68e8c8b4ac7e4b5dbd3c2cb5d5b2cbf4.dir'", '      md5: 68e8c8b4ac7e4b5dbd3c2cb5d5b2cbf4.dir')
      .replace('        size: 2232588', '      size: 2232588');
    expect(reformatted).not.toBe(DVC_LOCK);
    expect(dvcDataHash(parseDvcOuts(reformatted, 'dvc.lock'))).toBe(hash);
    expect(dvcDataHash(parseDvcOuts(DVC_LOCK.replace('153aad06', '153aad07'), 'dvc.lock'))).not.toBe(hash);
    expect(dvcDataHash([])).toBeUndefined();
  });
});

describe('package versions', () => {
  it('takes the direct dependencies of a v3 package-lock.json with their installed versions', () => {
    const lock = {
      lockfileVersion: 3,
      packages: {
        '': { name: 'app', dependencies: { zod: '^4.0.0' }, devDependencies: { jest: '^30' } },
        'node_modules/zod': { version: '4.6.7' },
        'node_modules/jest': { version: '30.5.2' },
        'node_modules/transitive': { version: '1.0.0' },
      },
    };
    expect(packageLockVersions(JSON.stringify(lock))).toEqual({ jest: '30.5.2', zod: '4.6.7' });
  });

  it('reads a v1 package-lock.json (no root entry), leaving dev dependencies out', () => {
    const lock = { lockfileVersion: 1, dependencies: { lodash: { version: '4.17.21' }, jest: { version: '29.0.0', dev: true } } };
    expect(packageLockVersions(JSON.stringify(lock))).toEqual({ lodash: '4.17.21' });
  });

  it('takes only the pinned lines of requirements.txt, normalising names', () => {
    const text = [
      '# pinned',
      'scikit-learn==1.5.2',
      'numpy>=1.26',
      'mlflow[extras]==3.1.0 ; python_version >= "3.9"',
      'Torch_Vision == 0.19.0  # gpu',
      '-r other.txt',
      'pandas',
    ].join('\n');
    expect(requirementsVersions(text)).toEqual({ mlflow: '3.1.0', 'scikit-learn': '1.5.2', 'torch-vision': '0.19.0' });
  });

  it('keeps the packages tag within MLflow’s tag value limit and still valid JSON', () => {
    const many = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`package-${String(i).padStart(4, '0')}`, '1.0.0']));
    const { value, omitted } = packagesTagValue(many);
    expect(value.length).toBeLessThanOrEqual(MAX_TAG_VALUE_LENGTH);
    const kept = Object.keys(JSON.parse(value) as object).length;
    expect(kept + omitted).toBe(2000);
    expect(omitted).toBeGreaterThan(0);
  });
});

describe('file provenance in a project directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-provenance-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('tags the lockfile digests, the pinned packages and the DVC data hash', () => {
    writeFileSync(path.join(dir, 'requirements.txt'), 'scikit-learn==1.5.2\n');
    writeFileSync(path.join(dir, 'dvc.lock'), DVC_LOCK);
    mkdirSync(path.join(dir, 'data'));
    writeFileSync(path.join(dir, 'data', 'data.xml.dvc'), DOT_DVC);
    mkdirSync(path.join(dir, 'node_modules', 'pkg'), { recursive: true });
    writeFileSync(path.join(dir, 'node_modules', 'pkg', 'ignored.dvc'), DOT_DVC.replace('22a1', '9999'));

    const tags = fileProvenanceTags([dir]);
    const expectedHash = dvcDataHash([...parseDvcOuts(DVC_LOCK, 'dvc.lock'), ...parseDvcOuts(DOT_DVC, 'data/data.xml.dvc')]);
    expect(tags).toEqual({
      'cairn.env.lockfile.requirements.txt': `sha256:${sha256('scikit-learn==1.5.2\n')}`,
      'cairn.env.python_packages': '{"scikit-learn":"1.5.2"}',
      'cairn.dvc.data_hash': expectedHash,
      dvc_data_hash: expectedHash,
      'cairn.dvc.files': 'data/data.xml.dvc,dvc.lock',
    });
    for (const value of Object.values(tags)) expect(value.length).toBeLessThanOrEqual(MAX_TAG_VALUE_LENGTH);
  });

  it('yields nothing for a bare directory', () => {
    expect(fileProvenanceTags([dir])).toEqual({});
  });
});

it('strips credentials from a remote URL before it becomes a tag', () => {
  expect(withoutCredentials('https://user:ghp_secret@github.com/org/repo.git')).toBe('https://github.com/org/repo.git');
  expect(withoutCredentials('git@github.com:org/repo.git')).toBe('git@github.com:org/repo.git');
});
