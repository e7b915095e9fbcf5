/**
 * Keyset pagination, checked against a model instead of a database: a tiny evaluator runs the
 * generated ORDER BY expressions and "after this row" predicate over in-memory runs with
 * Postgres semantics, and the result is compared with MLflow's documented order.
 */
import fc from 'fast-check';

import type { SortKey } from './ast';
import { afterRowPredicate, compileOrder, SqlParams, type SortComponent, type SortValue } from './compile-sql';
import { runsSearch } from './entities/runs';
import { resolveOrderBy } from './order-by';

type Metric = { kind: 'value'; value: number } | { kind: 'nan' } | { kind: 'missing' };
interface Run {
  run_uuid: string;
  start_time: number | null;
  end_time: number | null;
  name: string | null;
  status: string;
  acc: Metric;
  lr: string | null;
  team: string | null;
}

const run: fc.Arbitrary<Run> = fc.record({
  run_uuid: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 4 }),
  start_time: fc.option(fc.integer({ min: 0, max: 3 })),
  end_time: fc.option(fc.integer({ min: 0, max: 3 })),
  name: fc.option(fc.constantFrom('a', 'b', 'B')),
  status: fc.constantFrom('FINISHED', 'RUNNING'),
  acc: fc.oneof(
    fc.double({ min: -2, max: 2, noNaN: true }).map((value): Metric => ({ kind: 'value', value })),
    fc.constantFrom<Metric>({ kind: 'nan' }, { kind: 'missing' }, { kind: 'value', value: 0.5 }),
  ),
  lr: fc.option(fc.constantFrom('0.1', '0.01', '1')),
  team: fc.option(fc.constantFrom('ml', 'ML')),
});
const runs = fc.uniqueArray(run, { minLength: 1, maxLength: 25, selector: (r) => r.run_uuid });

const orderBy = fc
  .uniqueArray(fc.constantFrom('metrics.acc', 'params.lr', 'tags.team', 'start_time', 'end_time', 'run_name', 'status'), { maxLength: 3 })
  .chain((keys) => fc.tuple(...keys.map((key) => fc.constantFrom(`${key} ASC`, `${key} DESC`, key))))
  .map((clauses) => [...clauses]);

/** What Postgres computes for one ORDER BY expression of compileOrder over a run. */
function evaluateExpression(sql: string, row: Run, joined: readonly SortKey[]): SortValue {
  const join = (alias: string): { value: SortValue; isNan: boolean | null } => {
    const key = joined[Number(alias.slice(1))];
    if (key === undefined || key.kind === 'attribute') throw new Error(`unknown join ${alias}`);
    if (key.kind === 'metric') {
      // NaN is stored as 0 with is_nan (tracking migration 0002), like MLflow's SQL store.
      if (row.acc.kind === 'missing') return { value: null, isNan: null };
      return row.acc.kind === 'nan' ? { value: 0, isNan: true } : { value: row.acc.value, isNan: false };
    }
    return { value: key.kind === 'param' ? row.lr : row.team, isNan: null };
  };
  const column = (name: string): SortValue => {
    const columns: Record<string, SortValue> = {
      'r.run_uuid': row.run_uuid,
      'r.start_time': row.start_time,
      'r.end_time': row.end_time,
      'r.name': row.name,
      'r.status': row.status,
    };
    if (name in columns) return columns[name] ?? null;
    const alias = /^(s\d+)\.value$/u.exec(name)?.[1];
    if (alias !== undefined) return join(alias).value;
    throw new Error(`unknown column ${name}`);
  };
  let match = /^\(CASE WHEN (s\d+)\.is_nan THEN 1 WHEN \1\.value IS NULL THEN 2 ELSE 0 END\)$/u.exec(sql);
  if (match) {
    const { value, isNan } = join(match[1] as string);
    return isNan === true ? 1 : value === null ? 2 : 0;
  }
  match = /^\(CASE WHEN (s\d+)\.is_nan THEN NULL ELSE \1\.value END\)$/u.exec(sql);
  if (match) {
    const { value, isNan } = join(match[1] as string);
    return isNan === true ? null : value;
  }
  match = /^\(CASE WHEN (.+) IS NULL THEN 1 ELSE 0 END\)$/u.exec(sql);
  if (match) return column(match[1] as string) === null ? 1 : 0;
  return column(sql);
}

/** Postgres: NULL compares above every value (ASC NULLS LAST, DESC NULLS FIRST). */
function compareValues(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareRows(a: readonly SortValue[], b: readonly SortValue[], components: readonly SortComponent[]): number {
  for (const [i, component] of components.entries()) {
    const order = compareValues(a[i] ?? null, b[i] ?? null);
    if (order !== 0) return component.descending ? -order : order;
  }
  return 0;
}

/** Evaluates afterRowPredicate's output (ORs of ANDs of comparisons) with SQL NULL semantics. */
function evaluatePredicate(sql: string, values: readonly SortValue[], components: readonly SortComponent[], params: readonly unknown[]): boolean {
  const split = (text: string, separator: string): string[] => {
    const parts: string[] = [];
    let depth = 0;
    let from = 0;
    for (let i = 0; i < text.length; i += 1) {
      if (text[i] === '(') depth += 1;
      if (text[i] === ')') depth -= 1;
      if (depth === 0 && text.startsWith(separator, i)) {
        parts.push(text.slice(from, i));
        from = i + separator.length;
      }
    }
    parts.push(text.slice(from));
    return parts;
  };
  const unwrap = (text: string): string => {
    if (!text.startsWith('(') || !text.endsWith(')')) return text;
    let depth = 0;
    for (let i = 0; i < text.length - 1; i += 1) {
      if (text[i] === '(') depth += 1;
      if (text[i] === ')') depth -= 1;
      if (depth === 0) return text;
    }
    return unwrap(text.slice(1, -1));
  };
  const evaluate = (text: string): boolean => {
    const expression = unwrap(text);
    const disjuncts = split(expression, ' OR ');
    if (disjuncts.length > 1) return disjuncts.some(evaluate);
    const conjuncts = split(expression, ' AND ');
    if (conjuncts.length > 1) return conjuncts.every(evaluate);
    const index = components.findIndex((c) => expression.startsWith(`${c.sql} `));
    const value = values[index] ?? null;
    const rest = expression.slice((components[index]?.sql.length ?? 0) + 1);
    if (index < 0) throw new Error(`cannot evaluate ${expression}`);
    if (rest === 'IS NULL') return value === null;
    if (rest === 'IS NOT NULL') return value !== null;
    const [, op, n] = /^(<=|>=|<|>|=) \$(\d+)::.+$/u.exec(rest) ?? [];
    const bound = params[Number(n) - 1] as SortValue;
    if (value === null || bound === null || op === undefined) return false;
    const order = compareValues(value, typeof value === 'number' ? Number(bound) : bound);
    return { '<': order < 0, '<=': order <= 0, '>': order > 0, '>=': order >= 0, '=': order === 0 }[op] ?? false;
  };
  return evaluate(sql);
}

/** MLflow's run order, restated from SqlAlchemyStore._get_orderby_clauses (Postgres dialect). */
function mlflowOrder(a: Run, b: Run, clauses: readonly string[]): number {
  const key = (r: Run, field: string): { rank: number; value: string | number | null } => {
    switch (field) {
      case 'metrics.acc':
        return r.acc.kind === 'value' ? { rank: 0, value: r.acc.value } : { rank: r.acc.kind === 'nan' ? 1 : 2, value: null };
      case 'params.lr':
        return { rank: r.lr === null ? 1 : 0, value: r.lr };
      case 'tags.team':
        return { rank: r.team === null ? 1 : 0, value: r.team };
      case 'run_name':
        return { rank: r.name === null ? 1 : 0, value: r.name };
      default: {
        const value = r[field as 'start_time' | 'end_time' | 'status'];
        return { rank: value === null ? 1 : 0, value };
      }
    }
  };
  for (const clause of clauses) {
    const [field = '', direction] = clause.split(' ');
    const [ka, kb] = [key(a, field), key(b, field)];
    if (ka.rank !== kb.rank) return ka.rank - kb.rank;
    const order = compareValues(ka.value, kb.value);
    if (order !== 0) return direction === 'DESC' ? -order : order;
  }
  if (!clauses.some((clause) => clause.startsWith('start_time'))) {
    const order = compareValues(a.start_time, b.start_time); // start_time DESC, Postgres NULLS FIRST
    if (order !== 0) return -order;
  }
  return compareValues(a.run_uuid, b.run_uuid);
}

function compiled(clauses: readonly string[]): { components: readonly SortComponent[]; joined: SortKey[] } {
  const keys = resolveOrderBy(runsSearch, clauses);
  return { components: compileOrder(runsSearch, keys, new SqlParams(1)).components, joined: keys.filter((k) => k.kind !== 'attribute') };
}

describe('run order and keyset pages', () => {
  it('the compiled ORDER BY sorts runs exactly as MLflow does', () => {
    fc.assert(
      fc.property(runs, orderBy, (rows, clauses) => {
        const { components, joined } = compiled(clauses);
        const values = new Map(rows.map((r) => [r, components.map((c) => evaluateExpression(c.sql, r, joined))]));
        const bySql = [...rows].sort((a, b) => compareRows(values.get(a) ?? [], values.get(b) ?? [], components));
        const byMlflow = [...rows].sort((a, b) => mlflowOrder(a, b, clauses));
        expect(bySql.map((r) => r.run_uuid)).toEqual(byMlflow.map((r) => r.run_uuid));
      }),
      { numRuns: 300 },
    );
  });

  it('"after this row" selects exactly the runs that sort after it, whatever was inserted since', () => {
    fc.assert(
      fc.property(runs, runs, orderBy, fc.nat(), (rows, inserted, clauses, cut) => {
        const { components, joined } = compiled(clauses);
        const sortValues = (r: Run): SortValue[] => components.map((c) => evaluateExpression(c.sql, r, joined));
        const ordered = [...rows].sort((a, b) => compareRows(sortValues(a), sortValues(b), components));
        const last = ordered[cut % ordered.length] as Run;
        const params = new SqlParams(1);
        const predicate = afterRowPredicate(components, sortValues(last), params);

        const ids = new Set(rows.map((r) => r.run_uuid));
        const table = [...rows, ...inserted.filter((r) => !ids.has(r.run_uuid))];
        const selected = table.filter((r) => evaluatePredicate(predicate, sortValues(r), components, params.values));
        const expected = table.filter((r) => compareRows(sortValues(r), sortValues(last), components) > 0);
        expect(new Set(selected.map((r) => r.run_uuid))).toEqual(new Set(expected.map((r) => r.run_uuid)));
      }),
      { numRuns: 500 },
    );
  });
});
