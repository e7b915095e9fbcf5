import { checkpointsOf, decideRetention, stepOf, validatePolicy, type Checkpoint } from './retention';

const ck = (name: string, lastSeq: number, metric: number | null = null): Checkpoint => ({ name, lastSeq, step: stepOf(name), metric });

describe('retention decisions', () => {
  it('keeps the last N by upload order', () => {
    const checkpoints = [ck('epoch_1', 1), ck('epoch_2', 2), ck('epoch_3', 3), ck('epoch_4', 4)];
    expect(decideRetention({ keepLast: 2, keepBest: null, metricGoal: null }, checkpoints)).toEqual(['epoch_1', 'epoch_2']);
  });

  it('keeps the best K by metric as well as the last N (goal min)', () => {
    const checkpoints = [ck('epoch_1', 1, 0.9), ck('epoch_2', 2, 0.2), ck('epoch_3', 3, 0.5), ck('epoch_4', 4, 0.6), ck('epoch_5', 5, 0.7)];
    expect(decideRetention({ keepLast: 2, keepBest: 1, metricGoal: 'min' }, checkpoints)).toEqual(['epoch_1', 'epoch_3']);
  });

  it('ranks the other way for goal max', () => {
    const checkpoints = [ck('a1', 1, 0.9), ck('a2', 2, 0.2), ck('a3', 3, 0.5)];
    expect(decideRetention({ keepLast: 0, keepBest: 1, metricGoal: 'max' }, checkpoints)).toEqual(['a2', 'a3']);
  });

  it('never deletes a checkpoint whose metric is not known yet when ranking by metric', () => {
    const checkpoints = [ck('epoch_1', 1, 0.1), ck('epoch_2', 2, null), ck('epoch_3', 3, 0.9)];
    expect(decideRetention({ keepLast: 0, keepBest: 1, metricGoal: 'min' }, checkpoints)).toEqual(['epoch_3']);
  });

  it('ignores NaN metrics when ranking', () => {
    const checkpoints = [ck('e1', 1, Number.NaN), ck('e2', 2, 0.3), ck('e3', 3, 0.4)];
    expect(decideRetention({ keepLast: 0, keepBest: 1, metricGoal: 'min' }, checkpoints)).toEqual(['e1', 'e3']);
  });

  it('keeps everything while there are fewer checkpoints than the policy keeps', () => {
    expect(decideRetention({ keepLast: 5, keepBest: null, metricGoal: null }, [ck('x1', 1), ck('x2', 2)])).toEqual([]);
  });
});

describe('checkpoints and steps', () => {
  it.each([
    ['epoch_7', 7],
    ['epoch=3-step=300.ckpt', 300],
    ['checkpoint-1500', 1500],
    ['latest.pth', null],
  ])('%s has step %s', (name, step) => expect(stepOf(name)).toBe(step));

  it('groups files into the entries directly under the prefix, by their newest file', () => {
    const files = [
      { relativePath: 'checkpoints/epoch_1/model.ckpt', seq: 1 },
      { relativePath: 'checkpoints/epoch_1/opt.pt', seq: 4 },
      { relativePath: 'checkpoints/epoch_2.ckpt', seq: 3 },
      { relativePath: 'other/x', seq: 5 },
    ];
    expect(checkpointsOf('checkpoints/', files)).toEqual([
      { name: 'epoch_1', lastSeq: 4, step: 1 },
      { name: 'epoch_2.ckpt', lastSeq: 3, step: 2 },
    ]);
  });
});

describe('policy validation', () => {
  it('normalises the prefix to a checked directory', () => {
    expect(validatePolicy({ experimentId: '1', prefix: './checkpoints//', keepLast: 3 })).toMatchObject({
      prefix: 'checkpoints/',
      keepLast: 3,
      keepBest: null,
    });
  });

  it.each([
    [{ experimentId: '1', prefix: 'c' }, /keep_last, keep_best/],
    [{ experimentId: '1', prefix: 'c', keepBest: 2 }, /metric_key/],
    [{ experimentId: '1', prefix: 'c', keepLast: 0 }, /at least one/],
    [{ experimentId: '1', prefix: '../c', keepLast: 1 }, /Invalid path/],
  ])('refuses %j', (input, message) => {
    expect(() => validatePolicy(input)).toThrow(message);
  });
});
