import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareEnvironment, requirementsOf } from './environment';

describe('the environment a project runs in', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-env-spec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is built from python_env.yaml with its -r files inlined, so the cache key covers them', () => {
    writeFileSync(
      path.join(dir, 'python_env.yaml'),
      'python: 3.11\nbuild_dependencies:\n  - pip\ndependencies:\n  - -r requirements.txt\n  - mlflow==3.18.0\n',
    );
    writeFileSync(path.join(dir, 'requirements.txt'), '# pinned\nscikit-learn==1.9.1  # the model\n\n');
    expect(requirementsOf({ type: 'python_env', file: path.join(dir, 'python_env.yaml') }, dir)).toEqual({
      python: '3.11',
      build: ['pip'],
      lines: ['scikit-learn==1.9.1', 'mlflow==3.18.0'],
    });
  });

  it('is built from a recorded freeze when reproducing, whatever the project asks for', () => {
    expect(requirementsOf({ type: 'requirements', file: path.join(dir, 'requirements.txt') }, dir, '# python 3.11.7\nnumpy==2.4.6\npip==23.2.1\n')).toEqual({
      build: [],
      lines: ['numpy==2.4.6', 'pip==23.2.1'],
    });
  });

  it('answers conda and docker projects, and --env uv without uv, with what is missing', async () => {
    const env = { PATH: '/nonexistent' };
    await expect(prepareEnvironment('virtualenv', { type: 'conda_env', file: 'conda.yaml' }, dir, dir, { env })).rejects.toThrow(
      'conda environments are not supported on this machine',
    );
    await expect(prepareEnvironment('local', { type: 'docker_env', image: 'python:3.11' }, dir, dir, { env })).rejects.toThrow(
      'docker environments are not supported on this machine',
    );
    await expect(prepareEnvironment('uv', { type: 'none' }, dir, dir, { env })).rejects.toThrow('--env uv needs the uv executable on PATH');
  });
});
