import type { Run } from '@cairn/contracts';
import { availableColumns, columnId, filterColumns, formatOrderBy, nextOrderBy, parseOrderBy, searchIdentifier, treeRows } from './run-rows';

const run = (id: string, parent?: string, extra: Partial<Run['data']> = {}): Run => ({
  info: { run_id: id, run_uuid: id, run_name: id, experiment_id: '1', user_id: 'u', status: 'FINISHED', artifact_uri: '', lifecycle_stage: 'active' },
  data: { tags: parent ? [{ key: 'mlflow.parentRunId', value: parent }] : [], ...extra },
  inputs: {},
  outputs: {},
});

describe('runs table rows and ordering', () => {
  it('puts each child run under its parent, keeping the server order among siblings', () => {
    const rows = treeRows([run('c1', 'p'), run('q'), run('p'), run('c2', 'p'), run('g', 'c2')], new Set());
    expect(rows.map((r) => `${'-'.repeat(r.depth)}${r.run.info.run_id}`)).toEqual(['q', 'p', '-c1', '-c2', '--g']);
    expect(rows.find((r) => r.run.info.run_id === 'p')?.children).toBe(2);
  });

  it('hides the descendants of a collapsed parent and shows orphans (parent on another page) at the top', () => {
    const rows = treeRows([run('p'), run('c', 'p'), run('g', 'c'), run('o', 'elsewhere')], new Set(['p']));
    expect(rows.map((r) => r.run.info.run_id)).toEqual(['p', 'o']);
  });

  it('survives a parent cycle without looping', () => {
    expect(treeRows([run('a', 'b'), run('b', 'a')], new Set()).length).toBeLessThanOrEqual(2);
  });

  it('quotes keys that are not plain words, as the MLflow grammar needs', () => {
    expect(searchIdentifier('metrics', 'loss')).toBe('metrics.loss');
    expect(searchIdentifier('metrics', 'val/loss')).toBe('metrics.`val/loss`');
    expect(formatOrderBy({ column: 'params.learning rate', descending: false })).toBe('params.`learning rate` ASC');
  });

  it('reads an order_by clause back, quoted or not', () => {
    expect(parseOrderBy('metrics.`val/loss` DESC')).toEqual({ column: 'metrics.val/loss', descending: true });
    expect(parseOrderBy('attribute.start_time')).toEqual({ column: 'attributes.start_time', descending: false });
    expect(parseOrderBy('nonsense')).toEqual({ column: 'attributes.start_time', descending: true });
  });

  it('flips the direction when the sorted column is clicked again', () => {
    const first = nextOrderBy({ column: 'attributes.start_time', descending: true }, 'metrics.acc');
    expect(first).toEqual({ column: 'metrics.acc', descending: true });
    expect(nextOrderBy(first, 'metrics.acc')).toEqual({ column: 'metrics.acc', descending: false });
  });

  it('offers every metric, param and user tag key of the loaded runs as a column', () => {
    const runs = [
      run('a', undefined, {
        metrics: [{ key: 'loss', value: 1, step: 0, timestamp: 0 }],
        params: [{ key: 'lr', value: '0.1' }],
        tags: [{ key: 'mlflow.user', value: 'x' }],
      }),
      run('b', undefined, { params: [{ key: 'lr', value: '0.2' }], tags: [{ key: 'team', value: 'cv' }] }),
    ];
    expect(availableColumns(runs).map((c) => `${c.kind}.${c.key}`)).toEqual(['metrics.loss', 'params.lr', 'tags.team']);
  });
});

describe('the column chooser search', () => {
  const keys = Array.from({ length: 5000 }, (_, i) => ({ kind: 'metrics' as const, key: `layer_${i}/grad_norm` }));
  const columns = [...keys, { kind: 'metrics' as const, key: 'val/loss' }, { kind: 'params' as const, key: 'loss_fn' }, { kind: 'tags' as const, key: 'Team' }];

  it('finds columns holding every word typed, in any case', () => {
    expect(filterColumns(columns, 'val loss').map(columnId)).toEqual(['metrics.val/loss']);
    expect(filterColumns(columns, 'LOSS').map(columnId)).toEqual(['metrics.val/loss', 'params.loss_fn']);
    expect(filterColumns(columns, 'tags.team').map(columnId)).toEqual(['tags.Team']);
    expect(filterColumns(columns, 'layer_4999 grad')).toHaveLength(1);
  });

  it('keeps every column for an empty search', () => {
    expect(filterColumns(columns, '  ')).toHaveLength(5003);
  });
});
