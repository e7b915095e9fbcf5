import { afterRowPredicate, compileFilter, compileOrder, orderByList, SqlParams, type SortComponent } from './compile-sql';
import { experimentsSearch } from './entities/experiments';
import { runsSearch } from './entities/runs';
import type { SearchEntity } from './entities/descriptor';
import { resolveOrderBy } from './order-by';
import { parseFilter } from './parser';
import { resolveFilter } from './resolve-filter';

function where(entity: SearchEntity, filter: string, first = 1): { sql: string; params: unknown[] } {
  const params = new SqlParams(first);
  const sql = compileFilter(entity, resolveFilter(entity, parseFilter(filter)), params);
  return { sql, params: params.values };
}

describe('compileFilter for runs', () => {
  it('is TRUE for an empty filter', () => {
    expect(where(runsSearch, '')).toEqual({ sql: 'TRUE', params: [] });
  });

  it('compares attributes on the runs row, binding every value', () => {
    expect(where(runsSearch, "status = 'FINISHED' AND `run name` != 'x' AND created >= 5")).toEqual({
      sql: 'r.status = $1::text AND r.name <> $2::text AND r.start_time >= $3::bigint',
      params: ['FINISHED', 'x', '5'],
    });
  });

  it('turns run_id lists into array parameters', () => {
    expect(where(runsSearch, "run_id IN ('a', 'b') AND attributes.run_id NOT IN ('c')")).toEqual({
      sql: 'r.run_uuid = ANY($1::text[]) AND r.run_uuid <> ALL($2::text[])',
      params: [['a', 'b'], ['c']],
    });
  });

  it('matches metrics on the latest value, where NaN only satisfies !=', () => {
    expect(where(runsSearch, 'metrics.acc > 0.9 AND metrics.loss != 1')).toEqual({
      sql:
        'EXISTS (SELECT 1 FROM tracking.latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = $1::text AND NOT m.is_nan AND m.value > $2::double precision)' +
        ' AND EXISTS (SELECT 1 FROM tracking.latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = $3::text AND (m.is_nan OR m.value <> $4::double precision))',
      params: ['acc', 0.9, 'loss', 1],
    });
  });

  it('requires the param or tag to exist, even for != (MLflow inner-joins it)', () => {
    expect(where(runsSearch, "params.lr != '0.1' AND tags.`mlflow.user` ILIKE 'A%'")).toEqual({
      sql:
        'EXISTS (SELECT 1 FROM tracking.params p WHERE p.run_uuid = r.run_uuid AND p.key = $1::text AND p.value <> $2::text)' +
        ' AND EXISTS (SELECT 1 FROM tracking.tags t WHERE t.run_uuid = r.run_uuid AND t.key = $3::text AND t.value ILIKE $4::text)',
      params: ['lr', '0.1', 'mlflow.user', 'A%'],
    });
  });

  it('matches datasets and their context through the run inputs', () => {
    expect(where(runsSearch, "datasets.digest = 'abc' AND datasets.context IN ('training')")).toEqual({
      sql:
        'EXISTS (SELECT 1 FROM tracking.inputs i JOIN tracking.datasets d ON d.dataset_uuid = i.source_id WHERE i.destination_type = $1::text AND i.destination_id = r.run_uuid AND i.source_type = $2::text AND d.digest = $3::text)' +
        ' AND EXISTS (SELECT 1 FROM tracking.inputs i JOIN tracking.datasets d ON d.dataset_uuid = i.source_id JOIN tracking.input_tags it ON it.input_uuid = i.input_uuid WHERE i.destination_type = $4::text AND i.destination_id = r.run_uuid AND i.source_type = $5::text AND it.name = $6::text AND it.value = ANY($7::text[]))',
      params: ['RUN', 'DATASET', 'abc', 'RUN', 'DATASET', 'mlflow.data.context', ['training']],
    });
  });

  it("numbers parameters from the caller's offset", () => {
    expect(where(runsSearch, "metrics.a < 1 AND tags.b = 'c'", 4).sql).toMatch(
      /\$4::text .* \$5::double precision\) AND .* \$6::text AND t.value = \$7::text\)$/,
    );
  });
});

describe('compileFilter for experiments', () => {
  it('compares attributes on the row and tags through experiment_tags', () => {
    expect(where(experimentsSearch, "name LIKE 'churn%' AND creation_time > 10 AND tags.team = 'ml'")).toEqual({
      sql:
        'e.name LIKE $1::text AND e.creation_time > $2::bigint' +
        ' AND EXISTS (SELECT 1 FROM tracking.experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = $3::text AND t.value = $4::text)',
      params: ['churn%', '10', 'team', 'ml'],
    });
  });
});

describe('compileOrder', () => {
  function order(entity: SearchEntity, orderBy: string[]): { joins: readonly string[]; orderBy: string; params: unknown[] } {
    const params = new SqlParams(1);
    const compiled = compileOrder(entity, resolveOrderBy(entity, orderBy), params);
    return { joins: compiled.joins, orderBy: orderByList(compiled.components), params: params.values };
  }

  it('serves the default run order straight from runs(experiment_id, start_time DESC, run_uuid)', () => {
    expect(order(runsSearch, [])).toEqual({ joins: [], orderBy: 'r.start_time DESC, r.run_uuid ASC', params: [] });
  });

  it('sorts metrics with NaN after numbers and missing values last, in both directions', () => {
    const compiled = order(runsSearch, ['metrics.acc DESC']);
    expect(compiled.joins).toEqual(['LEFT JOIN tracking.latest_metrics s0 ON s0.run_uuid = r.run_uuid AND s0.key = $1::text']);
    expect(compiled.orderBy).toBe(
      '(CASE WHEN s0.is_nan THEN 1 WHEN s0.value IS NULL THEN 2 ELSE 0 END) ASC, (CASE WHEN s0.is_nan THEN NULL ELSE s0.value END) DESC, r.start_time DESC, r.run_uuid ASC',
    );
    expect(compiled.params).toEqual(['acc']);
  });

  it('puts missing params, tags and nullable attributes last for requested keys', () => {
    const compiled = order(runsSearch, ['params.lr', 'end_time DESC', 'status']);
    expect(compiled.joins).toEqual(['LEFT JOIN tracking.params s0 ON s0.run_uuid = r.run_uuid AND s0.key = $1::text']);
    expect(compiled.orderBy).toBe(
      '(CASE WHEN s0.value IS NULL THEN 1 ELSE 0 END) ASC, s0.value ASC, (CASE WHEN r.end_time IS NULL THEN 1 ELSE 0 END) ASC, r.end_time DESC, r.status ASC, r.start_time DESC, r.run_uuid ASC',
    );
  });

  it('orders experiments by plain columns', () => {
    expect(order(experimentsSearch, ['name DESC']).orderBy).toBe('e.name DESC, e.experiment_id DESC');
  });
});

describe('afterRowPredicate', () => {
  const column = (sql: string, descending: boolean, nulls: SortComponent['nulls'], type: SortComponent['type'] = 'bigint'): SortComponent => ({
    sql,
    descending,
    type,
    nulls,
  });
  const predicate = (components: SortComponent[], values: Array<string | number | null>): { sql: string; params: unknown[] } => {
    const params = new SqlParams(3);
    return { sql: afterRowPredicate(components, values, params), params: params.values };
  };
  const startDesc = column('r.start_time', true, 'postgres');
  const runIdAsc = column('r.run_uuid', false, 'never', 'text');

  it('seeks on the first column so deep pages are an index range, not a rescan', () => {
    expect(predicate([startDesc, runIdAsc], ['100', 'abc'])).toEqual({
      sql: '(r.start_time <= $3::bigint AND ((r.start_time < $3::bigint) OR (r.start_time = $3::bigint AND r.run_uuid > $4::text)))',
      params: ['100', 'abc'],
    });
  });

  it('continues after a NULL that Postgres sorts first (descending)', () => {
    expect(predicate([startDesc, runIdAsc], [null, 'abc']).sql).toBe('((r.start_time IS NOT NULL) OR (r.start_time IS NULL AND r.run_uuid > $3::text))');
  });

  it('keeps NULLs that Postgres sorts last (ascending) after every value', () => {
    const startAsc = column('e.creation_time', false, 'postgres');
    const id = column('e.experiment_id', true, 'never');
    expect(predicate([startAsc, id], ['5', '7']).sql).toBe(
      '(((e.creation_time > $3::bigint OR e.creation_time IS NULL)) OR (e.creation_time = $3::bigint AND e.experiment_id < $4::bigint))',
    );
    expect(predicate([startAsc, id], [null, '7']).sql).toBe('((e.creation_time IS NULL AND e.experiment_id < $3::bigint))');
  });

  it('lets a rank pin a ranked NULL', () => {
    const rank = column('(CASE WHEN s0.value IS NULL THEN 1 ELSE 0 END)', false, 'never', 'integer');
    const value = column('s0.value', true, 'ranked', 'text');
    expect(predicate([rank, value, runIdAsc], [1, null, 'x']).sql).toBe(
      '((CASE WHEN s0.value IS NULL THEN 1 ELSE 0 END) >= $3::integer AND (((CASE WHEN s0.value IS NULL THEN 1 ELSE 0 END) > $3::integer) OR ((CASE WHEN s0.value IS NULL THEN 1 ELSE 0 END) = $3::integer AND r.run_uuid > $4::text)))',
    );
  });
});
