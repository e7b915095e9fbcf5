import type { Run } from '@cairn/sdk';
import { reproductionSource } from './commands';

const runWith = (tags: Record<string, string>, params: Record<string, string> = {}): Run =>
  ({
    info: { run_id: 'r1' },
    data: { tags: Object.entries(tags).map(([key, value]) => ({ key, value })), params: Object.entries(params).map(([key, value]) => ({ key, value })) },
  }) as unknown as Run;

const commit = 'a'.repeat(40);

describe('what a run recorded for cairn reproduce', () => {
  it('gives the repository at the commit and subdirectory, the entry point, the unquoted params and the environment', () => {
    const source = reproductionSource(
      runWith(
        {
          'mlflow.source.git.commit': commit,
          'cairn.git.dirty': 'false',
          'cairn.project.repo': 'https://git.example.com/ml.git',
          'cairn.project.subdir': 'projects/churn',
          'mlflow.project.entryPoint': 'train',
          'cairn.project.env': 'virtualenv',
        },
        { learning_rate: '0.05', name: "'a b'" },
      ),
    );
    expect(source).toEqual({
      uri: `https://git.example.com/ml.git#${commit}:projects/churn`,
      commit,
      entryPoint: 'train',
      params: { learning_rate: '0.05', name: 'a b' },
      envManager: 'virtualenv',
    });
  });

  it('reads a run made by mlflow run (repository and subdirectory from mlflow.source.name)', () => {
    const source = reproductionSource(runWith({ 'mlflow.source.git.commit': commit, 'mlflow.source.name': 'https://git.example.com/ml.git#projects/churn' }));
    expect(source.uri).toBe(`https://git.example.com/ml.git#${commit}:projects/churn`);
    expect(source.entryPoint).toBe('main');
    expect(source.envManager).toBe('local');
  });

  it('uses the remote when the local repository the run came from is gone', () => {
    const source = reproductionSource(
      runWith({ 'mlflow.source.git.commit': commit, 'cairn.project.repo': '/no/such/checkout', 'mlflow.source.git.repoURL': 'git@git.example.com:ml.git' }),
    );
    expect(source.uri).toBe(`git@git.example.com:ml.git#${commit}`);
  });

  it('refuses a run with no commit, from a dirty tree, or with no repository, saying which', () => {
    expect(() => reproductionSource(runWith({}))).toThrow('recorded no git commit');
    expect(() => reproductionSource(runWith({ 'mlflow.source.git.commit': commit, 'cairn.git.dirty': 'true', 'cairn.project.repo': '/x' }))).toThrow(
      'uncommitted changes',
    );
    expect(() => reproductionSource(runWith({ 'mlflow.source.git.commit': commit, 'mlflow.source.name': '/home/me/train.py' }))).toThrow(
      'recorded no repository',
    );
  });
});
