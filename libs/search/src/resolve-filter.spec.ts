import type { ComparisonNode, SearchClause } from './ast';
import { experimentsSearch } from './entities/experiments';
import { runsSearch } from './entities/runs';
import type { SearchEntity } from './entities/descriptor';
import { SearchSyntaxError } from './errors';
import { parseFilter } from './parser';
import { resolveFilter } from './resolve-filter';

const runs = (filter: string): SearchClause[] => resolveFilter(runsSearch, parseFilter(filter));
const experiments = (filter: string): SearchClause[] => resolveFilter(experimentsSearch, parseFilter(filter));

function rejected(entity: SearchEntity, filter: string): SearchSyntaxError {
  try {
    resolveFilter(entity, parseFilter(filter));
  } catch (error) {
    expect(error).toBeInstanceOf(SearchSyntaxError);
    return error as SearchSyntaxError;
  }
  throw new Error(`expected ${filter} to be rejected`);
}

describe('resolveFilter for runs', () => {
  it.each([
    ['metric', 'metrics'],
    ['param', 'params'],
    ['param', 'parameter'],
    ['param', 'parameters'],
    ['tag', 'tag'],
    ['tag', 'tags'],
  ])('reads the %s prefix %s', (kind, prefix) => {
    const value = kind === 'metric' ? '1' : "'x'";
    expect(runs(`${prefix}.k = ${value}`)[0]).toMatchObject({ kind, key: 'k' });
  });

  it.each(['attribute', 'attributes', 'attr', 'run', '`attributes`'])('reads %s.status as an attribute', (prefix) => {
    expect(runs(`${prefix}.status = 'FINISHED'`)).toEqual([{ kind: 'attribute', attribute: 'status', comparator: '=', value: 'FINISHED' }]);
  });

  it('converts metric values to numbers, huge literals to Infinity as Python float() does', () => {
    expect(runs('metrics.acc >= -1.5e-3 AND metrics.loss < 1e999')).toEqual([
      { kind: 'metric', key: 'acc', comparator: '>=', value: -0.0015 },
      { kind: 'metric', key: 'loss', comparator: '<', value: Number.POSITIVE_INFINITY },
    ]);
  });

  it('resolves the created / Run name aliases to their canonical attributes', () => {
    expect(runs("created > 5 AND `Run name` = 'a' AND attributes.`run name` LIKE 'b%' AND Created < 10")).toEqual([
      { kind: 'attribute', attribute: 'start_time', comparator: '>', value: '5' },
      { kind: 'attribute', attribute: 'run_name', comparator: '=', value: 'a' },
      { kind: 'attribute', attribute: 'run_name', comparator: 'LIKE', value: 'b%' },
      { kind: 'attribute', attribute: 'start_time', comparator: '<', value: '10' },
    ]);
  });

  it('keeps int64 times exact and accepts integral literals written with an exponent', () => {
    expect(runs('start_time >= 9223372036854775807 AND end_time < 1.7e12')).toMatchObject([{ value: '9223372036854775807' }, { value: '1700000000000' }]);
  });

  it('accepts run_id lists and dataset fields', () => {
    expect(runs("attributes.run_id IN ('a', 'b') AND datasets.name = 'iris' AND dataset.context IN ('train')")).toEqual([
      { kind: 'attribute', attribute: 'run_id', comparator: 'IN', value: ['a', 'b'] },
      { kind: 'dataset', field: 'name', comparator: '=', value: 'iris' },
      { kind: 'dataset', field: 'context', comparator: 'IN', value: ['train'] },
    ]);
  });

  // Messages mirror mlflow/utils/search_utils.py; the position is appended.
  it.each<[string, string]>([
    ["metric.acc > '0.5'", "Expected numeric value type for metric. Found '0.5' (at position 13)"],
    ['params.lr = 0.1', "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 0.1 (at position 12)"],
    ['tags.team = 5', "Expected a quoted string value for tag (e.g. 'my-value'). Got value 5 (at position 12)"],
    ["start_time > '5'", "Expected numeric value type for numeric attribute: start_time. Found '5' (at position 13)"],
    ['status = 3', 'Expected a quoted string value for attributes. Got value 3 (at position 9)'],
    ["status IN ('A')", "Only the 'run_id' attribute supports comparison with a list of quoted string values. (at position 10)"],
    ['datasets.name = 1', 'Expected a quoted string value for dataset attributes. Got value 1 (at position 16)'],
    ["foo.bar = 'x'", "Invalid entity type 'foo'. Valid entity types are ['metric', 'parameter', 'tag', 'attribute', 'dataset'] (at position 0)"],
    ['"metrics".x > 1', "Invalid entity type '\"metrics\"'. Valid entity types are ['metric', 'parameter', 'tag', 'attribute', 'dataset'] (at position 0)"],
    ['METRICS.x > 1', "Invalid entity type 'METRICS'. Valid entity types are ['metric', 'parameter', 'tag', 'attribute', 'dataset'] (at position 0)"],
    ["datasets.source = 'x'", "Invalid dataset key 'source' specified. Valid keys are '{'name', 'digest', 'context'}' (at position 0)"],
    ["metrics.acc LIKE '1%'", "Expected numeric value type for metric. Found '1%' (at position 17)"],
    ['metrics.acc LIKE 1', "Invalid comparator 'LIKE' not one of '{'>', '>=', '!=', '=', '<', '<='}' (at position 12)"],
    ["params.lr > '1'", "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'}' (at position 10)"],
    ["tags.a IN ('x')", "Expected a quoted string value for tag (e.g. 'my-value'). Got value ('x') (at position 10)"],
    ["status > 'A'", "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}' (at position 7)"],
    ['end_time LIKE 5', "Invalid comparator 'LIKE' not one of '{'>', '>=', '!=', '=', '<', '<='}' (at position 9)"],
    ['start_time > 1.5', 'Expected an integer value for numeric attribute: start_time. Found 1.5 (at position 13)'],
    ['start_time > 1e30', 'Value 1e30 for numeric attribute start_time is out of the 64-bit integer range (at position 13)'],
  ])('rejects %j', (filter, message) => {
    const error = rejected(runsSearch, filter);
    expect(error.message).toBe(message);
    expect(error.errorCode).toBe('INVALID_PARAMETER_VALUE');
  });

  it('does not let lifecycle_stage be searched: run_view_type decides it, as in MLflow', () => {
    expect(rejected(runsSearch, "lifecycle_stage = 'deleted'").message).toBe(
      "Invalid attribute key 'lifecycle_stage' specified. Valid keys are " +
        "'{'Created', 'Run Name', 'Run name', 'artifact_uri', 'created', 'end_time', 'run name', 'run_id', 'run_name', 'start_time', 'status', 'user_id'}' (at position 0)",
    );
  });

  it('accepts a LIKE pattern ending in an escaped backslash', () => {
    expect(runs("params.p LIKE 'abc\\\\'")[0]).toMatchObject({ value: 'abc\\\\' });
  });

  it('rejects a LIKE pattern ending in a lone backslash, which Postgres would answer with a 500', () => {
    // Source text cannot produce one (a backslash before the closing quote escapes it), but
    // trees can also be built in code.
    const filter = parseFilter("params.p LIKE 'abc'");
    const comparison = filter.comparisons[0] as ComparisonNode;
    const tree = { comparisons: [{ ...comparison, value: { type: 'string' as const, value: 'abc\\', quote: 'single' as const, position: 14 } }] };
    expect(() => resolveFilter(runsSearch, tree)).toThrow("LIKE pattern must not end with an unescaped backslash: 'abc\\' (at position 14)");
  });
});

describe('resolveFilter for experiments', () => {
  it('reads name, times and tags', () => {
    expect(experiments("name LIKE 'churn%' AND attribute.creation_time > 10 AND tags.team = 'ml' AND tag.x != 'y'")).toEqual([
      { kind: 'attribute', attribute: 'name', comparator: 'LIKE', value: 'churn%' },
      { kind: 'attribute', attribute: 'creation_time', comparator: '>', value: '10' },
      { kind: 'tag', key: 'team', comparator: '=', value: 'ml' },
      { kind: 'tag', key: 'x', comparator: '!=', value: 'y' },
    ]);
  });

  it.each<[string, RegExp]>([
    ["attributes.name = 'x'", /^Invalid entity type 'attributes'. Valid entity types are \('attribute', 'tag', 'tags'\)/],
    ['metrics.x > 1', /^Invalid entity type 'metrics'/],
    ['experiment_id = 1', /^Invalid attribute key 'experiment_id' specified. Valid keys are '\{'creation_time', 'last_update_time', 'name'\}'/],
    ["name IN ('a')", /^Only the 'run_id' attribute supports comparison with a list/],
    ['tags.a ILIKE 5', /^Expected a quoted string value for tag/],
  ])('rejects %j', (filter, message) => {
    expect(rejected(experimentsSearch, filter).message).toMatch(message);
  });
});

describe('IS NULL / IS NOT NULL (MLflow: SearchUtils.VALID_TAG_COMPARATORS, SearchExperimentsUtils._get_comparison)', () => {
  it('tests run tags and params, and experiment tags, for presence', () => {
    expect(runs('params.lr IS NULL AND tags.`mlflow.note` IS NOT NULL')).toEqual([
      { kind: 'param', key: 'lr', comparator: 'IS NULL', value: null },
      { kind: 'tag', key: 'mlflow.note', comparator: 'IS NOT NULL', value: null },
    ]);
    expect(experiments('tags.`mlflow.experiment.isGateway` IS NULL')).toEqual([
      { kind: 'tag', key: 'mlflow.experiment.isGateway', comparator: 'IS NULL', value: null },
    ]);
  });

  it.each<[SearchEntity, string, string]>([
    [runsSearch, 'metrics.acc IS NULL', "IS NULL / IS NOT NULL is only supported for tags and params, not for 'metric' 'acc'"],
    [runsSearch, 'status IS NOT NULL', "IS NULL / IS NOT NULL is only supported for tags and params, not for 'attribute' 'status'"],
    [experimentsSearch, 'name IS NULL', "IS NULL / IS NOT NULL is only supported for tags, not for attribute 'name'"],
  ])("rejects it elsewhere with MLflow's message (%#)", (entity, filter, message) => {
    expect(rejected(entity, filter).message).toContain(message);
  });
});
