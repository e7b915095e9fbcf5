import { experimentsSearch } from './entities/experiments';
import { runsSearch } from './entities/runs';
import { SearchSyntaxError } from './errors';
import { parseOrderByClause, resolveOrderBy } from './order-by';

const START_TIME_DESC = { kind: 'attribute', attribute: 'start_time', ascending: false, nullsLast: false };
const RUN_ID_ASC = { kind: 'attribute', attribute: 'run_id', ascending: true, nullsLast: false };

describe('parseOrderByClause', () => {
  it.each([
    ['metrics.val_auc DESC', 'val_auc', 'DESC'],
    ['metrics.val_auc desc', 'val_auc', 'DESC'],
    ['params.lr ASC', 'lr', 'ASC'],
    ['attributes.start_time', 'start_time', null],
    ['metrics.`val auc` DESC', 'val auc', 'DESC'],
    ['  tags."team name"   asc  ', 'team name', 'ASC'],
  ])('reads %j', (clause, key, direction) => {
    const node = parseOrderByClause(clause);
    expect(node.identifier.key).toBe(key);
    expect(node.direction).toBe(direction);
  });

  it.each<[string, RegExp, number | undefined]>([
    ['', /^Invalid order_by clause ''. Could not be parsed: expected an identifier/, 0],
    ['metrics.x sideways', /^Invalid ordering key in order_by clause 'metrics.x sideways': expected ASC or DESC, found 'sideways'/, 10],
    ['metrics.x DESC ASC', /expected the end of the clause, found 'ASC'/, 15],
    ['metrics.x, params.y', /expected ASC, DESC or the end of the clause, found ','/, 9],
  ])('rejects %j', (clause, message, position) => {
    const error = (() => {
      try {
        parseOrderByClause(clause);
      } catch (e) {
        return e as SearchSyntaxError;
      }
      throw new Error('expected a rejection');
    })();
    expect(error).toBeInstanceOf(SearchSyntaxError);
    expect(error.field).toBe('order_by');
    expect(error.message).toMatch(message);
    expect(error.position).toBe(position);
  });
});

describe('resolveOrderBy for runs', () => {
  it('defaults to start_time DESC then run_id, as SqlAlchemyStore._get_orderby_clauses', () => {
    expect(resolveOrderBy(runsSearch, undefined)).toEqual([START_TIME_DESC, RUN_ID_ASC]);
    expect(resolveOrderBy(runsSearch, [])).toEqual([START_TIME_DESC, RUN_ID_ASC]);
  });

  it('appends the tie-breakers after the requested keys, missing values last for requested keys', () => {
    expect(resolveOrderBy(runsSearch, ['metrics.`val auc` DESC', 'params.lr', 'tags.team ASC'])).toEqual([
      { kind: 'metric', key: 'val auc', ascending: false },
      { kind: 'param', key: 'lr', ascending: true },
      { kind: 'tag', key: 'team', ascending: true },
      START_TIME_DESC,
      RUN_ID_ASC,
    ]);
  });

  it('does not append start_time DESC when start_time (or its alias created) is already sorted on', () => {
    expect(resolveOrderBy(runsSearch, ['attributes.created ASC'])).toEqual([
      { kind: 'attribute', attribute: 'start_time', ascending: true, nullsLast: true },
      RUN_ID_ASC,
    ]);
  });

  it('keeps a requested run_id order instead of adding a second one', () => {
    expect(resolveOrderBy(runsSearch, ['run_id DESC'])).toEqual([
      { kind: 'attribute', attribute: 'run_id', ascending: false, nullsLast: true },
      START_TIME_DESC,
    ]);
  });

  it("splits a fully quoted identifier at its first dot, as MLflow's shlex-based parsing does", () => {
    expect(resolveOrderBy(runsSearch, ['`metrics.val auc` DESC'])[0]).toEqual({ kind: 'metric', key: 'val auc', ascending: false });
  });

  it.each<[string[], RegExp]>([
    [['metrics.a', 'metrics.a DESC'], /^`order_by` contains duplicate fields: \['metrics.a', 'metrics.a DESC'\]/],
    [['start_time', 'created'], /^`order_by` contains duplicate fields/],
    [
      ['lifecycle_stage'],
      /^Invalid attribute key 'lifecycle_stage' specified. Valid keys are '\{'Created', 'artifact_uri', 'created', 'end_time', 'run_id', 'run_name', 'start_time', 'status', 'user_id'\}'/,
    ],
    [['`Run name`'], /^Invalid attribute key 'Run name' specified/],
    [['datasets.name'], /^Invalid order_by entity: dataset/],
    [['bogus.x'], /^Invalid entity type 'bogus'/],
  ])('rejects %j', (orderBy, message) => {
    expect(() => resolveOrderBy(runsSearch, orderBy)).toThrow(message);
  });
});

describe('resolveOrderBy for experiments', () => {
  it('defaults to creation_time DESC, experiment_id ASC', () => {
    expect(resolveOrderBy(experimentsSearch, [])).toEqual([
      { kind: 'attribute', attribute: 'creation_time', ascending: false, nullsLast: false },
      { kind: 'attribute', attribute: 'experiment_id', ascending: true, nullsLast: false },
    ]);
  });

  it('appends experiment_id DESC to a requested order that lacks it', () => {
    expect(resolveOrderBy(experimentsSearch, ['name'])).toEqual([
      { kind: 'attribute', attribute: 'name', ascending: true, nullsLast: false },
      { kind: 'attribute', attribute: 'experiment_id', ascending: false, nullsLast: false },
    ]);
    expect(resolveOrderBy(experimentsSearch, ['last_update_time DESC', 'experiment_id'])).toEqual([
      { kind: 'attribute', attribute: 'last_update_time', ascending: false, nullsLast: false },
      { kind: 'attribute', attribute: 'experiment_id', ascending: true, nullsLast: false },
    ]);
  });

  it.each<[string, RegExp]>([
    ['tags.team', /^Invalid order_by entity: tag/],
    ['attributes.name', /^Invalid entity type 'attributes'/],
    ['artifact_location', /^Invalid attribute key 'artifact_location'/],
  ])('rejects %j', (clause, message) => {
    expect(() => resolveOrderBy(experimentsSearch, [clause])).toThrow(message);
  });
});
