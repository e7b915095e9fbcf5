import { compileLoggedModelSearch } from './logged-model-search';

describe('logged-model search filter', () => {
  it('compiles attribute, metric, param and tag clauses to bound parameters', () => {
    const compiled = compileLoggedModelSearch("name = 'm1' AND metrics.acc > 0.5 and params.`alpha` = '0.1' AND tags.stage LIKE 'cand%'", [], 2);
    expect(compiled.params).toEqual(['m1', 'acc', 0.5, 'alpha', '0.1', 'stage', 'cand%']);
    expect(compiled.where).toHaveLength(4);
    expect(compiled.where[0]).toBe('lm.name = $2');
    expect(compiled.where.join(' ')).not.toContain("'");
  });

  it('keeps AND inside quotes as text', () => {
    expect(compileLoggedModelSearch("name = 'a AND b'", [], 2).params).toEqual(['a AND b']);
  });

  it('orders by attributes and always ends with a total order', () => {
    expect(compileLoggedModelSearch(undefined, [{ field_name: 'name', ascending: true }], 2).orderBy).toBe('lm.name ASC NULLS LAST, lm.creation_timestamp_ms DESC, lm.model_id');
  });

  it.each(["name = m1", 'metrics.acc > high', "params.a > 'x'", "bogus = 'x'", "name = 'x' OR 1=1", "name = 'x'; DROP TABLE x"])('refuses %j with INVALID_PARAMETER_VALUE', (filter) => {
    expect(() => compileLoggedModelSearch(filter, [], 2)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });

  it('refuses unknown order_by fields', () => {
    expect(() => compileLoggedModelSearch(undefined, [{ field_name: 'x; drop', ascending: true }], 2)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });
});
