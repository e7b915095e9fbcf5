import { compileLoggedModelSearch } from './logged-model-search';

describe('logged-model search filter', () => {
  it('compiles attribute, metric, param and tag clauses to bound parameters', () => {
    const compiled = compileLoggedModelSearch("name = 'm1' AND metrics.acc > 0.5 and params.`alpha` = '0.1' AND tags.stage LIKE 'cand%'", [], 2);
    expect(compiled.params).toEqual(['m1', 'acc', 0.5, 'alpha', '0.1', 'stage', 'cand%']);
    expect(compiled.where).toHaveLength(4);
    expect(compiled.where[0]).toBe('lm.name = $2');
    expect(compiled.where.join(' ')).not.toContain("'");
  });

  // MLflow 3.18's SQL store takes IN / NOT IN lists on string attributes, params and tags; its UI
  // loads a run's models with `attributes.model_id IN (...)`.
  it('compiles IN and NOT IN lists on string attributes, params and tags', () => {
    const compiled = compileLoggedModelSearch("attributes.model_id IN ('m-1', \"m-2\") AND name not in ('a, b') AND tags.t IN ('x')", [], 1);
    expect(compiled.where).toEqual([
      'lm.model_id = ANY($1::text[])',
      'lm.name <> ALL($2::text[])',
      'EXISTS (SELECT 1 FROM tracking.logged_model_tags x WHERE x.model_id = lm.model_id AND x.key = $3 AND x.value = ANY($4::text[]))',
    ]);
    expect(compiled.params).toEqual([['m-1', 'm-2'], ['a, b'], 't', ['x']]);
  });

  it('refuses lists on numeric attributes and metrics, and empty lists', () => {
    expect(() => compileLoggedModelSearch("creation_timestamp IN ('1')", [], 1)).toThrow(/compares with a number/);
    expect(() => compileLoggedModelSearch("metrics.acc IN ('1')", [], 1)).toThrow(/Invalid attribute key 'metrics.acc'/);
    expect(() => compileLoggedModelSearch('name IN ()', [], 1)).toThrow(/Invalid filter clause/);
  });

  it('keeps AND inside quotes as text', () => {
    expect(compileLoggedModelSearch("name = 'a AND b'", [], 2).params).toEqual(['a AND b']);
  });

  it('orders by attributes and always ends with a total order', () => {
    expect(compileLoggedModelSearch(undefined, [{ field_name: 'name', ascending: true }], 2).orderBy).toBe(
      'lm.name ASC NULLS LAST, lm.creation_timestamp_ms DESC, lm.model_id',
    );
  });

  it.each(['name = m1', 'metrics.acc > high', "params.a > 'x'", "bogus = 'x'", "name = 'x' OR 1=1", "name = 'x'; DROP TABLE x"])(
    'refuses %j with INVALID_PARAMETER_VALUE',
    (filter) => {
      expect(() => compileLoggedModelSearch(filter, [], 2)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
    },
  );

  it('refuses unknown order_by fields', () => {
    expect(() => compileLoggedModelSearch(undefined, [{ field_name: 'x; drop', ascending: true }], 2)).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }),
    );
  });
});

describe('logged-model search on datasets', () => {
  it('restricts metric filters to the datasets, comparing each model latest value', () => {
    const compiled = compileLoggedModelSearch('metrics.acc > 0.5', [], 2, [{ dataset_name: 'val' }, { dataset_name: 'test', dataset_digest: 'abc' }]);
    expect(compiled.params).toEqual(['val', 'test', 'abc', 'acc', 0.5]);
    expect(compiled.where[0]).toMatch(/ORDER BY x\.step DESC, x\.timestamp DESC, x\.value DESC, x\.is_nan DESC LIMIT 1\) > \$6::float8$/);
    expect(compiled.where[0]).toContain('(x.dataset_name = $2 OR (x.dataset_name = $3 AND x.dataset_digest = $4))');
  });

  it('keeps only models with a metric on the datasets when no metric is filtered', () => {
    const compiled = compileLoggedModelSearch("name = 'm'", [], 2, [{ dataset_name: 'val' }]);
    expect(compiled.where).toHaveLength(2);
    expect(compiled.where[1]).toContain('EXISTS (SELECT 1 FROM tracking.logged_model_metrics x');
  });

  it('orders by a metric (optionally on one dataset), models without it last', () => {
    const compiled = compileLoggedModelSearch(undefined, [{ field_name: 'metrics.acc', ascending: false, dataset_name: 'val' }], 2);
    expect(compiled.params).toEqual(['val', 'acc']);
    expect(compiled.orderBy).toMatch(/LIMIT 1\) DESC NULLS LAST, lm\.creation_timestamp_ms DESC, lm\.model_id$/);
  });

  it('refuses a dataset without a name and ordering by params', () => {
    expect(() => compileLoggedModelSearch(undefined, [], 2, [{ dataset_name: '' }])).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
    expect(() => compileLoggedModelSearch(undefined, [{ field_name: 'params.a', ascending: true }], 2)).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }),
    );
  });
});
