import { parallelData, tickLabels } from './parallel';
import { runWith } from './run-fixture';

const run = runWith;

describe('parallel coordinates of a sweep', () => {
  const sweep = [
    run('a', { lr: '0.1', optimizer: 'sgd' }, { loss: 0.9 }),
    run('b', { lr: '0.01', optimizer: 'adam' }, { loss: 0.5 }),
    run('c', { lr: '0.001' }, { loss: 0.1 }),
  ];

  it('places numeric params on a linear scale and the others as sorted categories, the metric last', () => {
    const { axes, lines } = parallelData(sweep, ['lr', 'optimizer'], 'loss');
    expect(axes.map((a) => `${a.kind}.${a.key}:${a.scale}`)).toEqual(['params.lr:numeric', 'params.optimizer:categorical', 'metrics.loss:numeric']);
    expect(lines.find((l) => l.runId === 'a')?.positions).toEqual([1, 1, 1]);
    expect(lines.find((l) => l.runId === 'b')?.positions[1]).toBe(0);
    // A run without the param leaves a gap on that axis.
    expect(lines.find((l) => l.runId === 'c')?.positions).toEqual([0, null, 0]);
  });

  it('colours each line by its metric', () => {
    const { lines } = parallelData(sweep, ['lr'], 'loss');
    expect(lines.map((l) => l.colour)).toEqual([1, 0.5, 0]);
  });

  it('labels the ends of a numeric axis and every category', () => {
    const [lr, optimizer] = parallelData(sweep, ['lr', 'optimizer'], 'loss').axes;
    if (lr === undefined || optimizer === undefined) throw new Error('two axes expected');
    expect(tickLabels(lr)).toEqual([
      { position: 0, label: '0.001' },
      { position: 1, label: '0.1' },
    ]);
    expect(tickLabels(optimizer).map((t) => t.label)).toEqual(['adam', 'sgd']);
  });
});
