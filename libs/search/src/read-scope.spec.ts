import { readScopeCondition } from './read-scope';

describe('readScopeCondition', () => {
  it('reading everything adds no condition and no parameter, so the query is planned as before', () => {
    expect(readScopeCondition({ kind: 'all' }, 'r.experiment_id', 'bigint', 3)).toEqual({ sql: 'TRUE', values: [] });
  });

  it('hides the excluded ids, or keeps only the listed ones, through one array parameter at the given index', () => {
    expect(readScopeCondition({ kind: 'all-except', ids: ['7', '9'] }, 'e.experiment_id', 'bigint', 2)).toEqual({
      sql: 'e.experiment_id <> ALL($2::bigint[])',
      values: [['7', '9']],
    });
    expect(readScopeCondition({ kind: 'only', ids: ["it's", 'b'] }, 'rm.name', 'text', 1)).toEqual({
      sql: 'rm.name = ANY($1::text[])',
      values: [["it's", 'b']],
    });
  });

  it('an empty "only" reads nothing, an empty "all-except" everything', () => {
    expect(readScopeCondition({ kind: 'only', ids: [] }, 'mv.name', 'text', 1)).toEqual({ sql: 'FALSE', values: [] });
    expect(readScopeCondition({ kind: 'all-except', ids: [] }, 'mv.name', 'text', 1)).toEqual({ sql: 'TRUE', values: [] });
  });

  it('ids that cannot name a bigint row are dropped, never cast (a cast error would be a 500)', () => {
    expect(readScopeCondition({ kind: 'only', ids: ['x', '12', '9223372036854775808', '99999999999999999999'] }, 'lm.experiment_id', 'bigint', 4)).toEqual({
      sql: 'lm.experiment_id = ANY($4::bigint[])',
      values: [['12']],
    });
    expect(readScopeCondition({ kind: 'only', ids: ['x'] }, 'lm.experiment_id', 'bigint', 4).sql).toBe('FALSE');
  });

  it('refuses a parameter index that is not a positive integer', () => {
    expect(() => readScopeCondition({ kind: 'all' }, 'c', 'text', 0)).toThrow(/positive integer/);
  });
});
