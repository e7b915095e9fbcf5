import { diffRows, inBatches, metricKeys } from './compare-runs';
import { runWith } from './run-fixture';

const run = runWith;

describe('comparing runs', () => {
  it('marks the params and metrics that differ, a missing key included', () => {
    const rows = diffRows([run('a', { lr: '0.1', depth: '4' }, { loss: 0.5 }), run('b', { lr: '0.01', depth: '4' }, { loss: 0.5, acc: 0.9 })]);
    expect(rows.map((r) => [`${r.kind}.${r.key}`, r.values, r.differs])).toEqual([
      ['params.depth', ['4', '4'], false],
      ['params.lr', ['0.1', '0.01'], true],
      ['metrics.acc', [undefined, '0.9'], true],
      ['metrics.loss', ['0.5', '0.5'], false],
    ]);
  });

  it('offers every metric key any run logged', () => {
    expect(metricKeys([run('a', {}, { loss: 1 }), run('b', {}, { acc: 1, loss: 2 })])).toEqual(['acc', 'loss']);
  });

  it('asks for 200 runs in two requests of 100', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `r${i}`);
    expect(inBatches(ids).map((b) => b.length)).toEqual([100, 100]);
  });
});
