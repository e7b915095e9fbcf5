/**
 * fast-check generators of valid runs-search filters and order_by lists, with hostile keys
 * and values. Test support only; not exported from the library.
 */
import fc from 'fast-check';

import type { Comparator, ComparisonNode, FilterNode, IdentifierNode, NameQuote, StringLiteral, ValueNode } from '../ast';
import { LIST_COMPARATORS, NUMERIC_COMPARATORS, STRING_COMPARATORS } from '../entities/descriptor';
import { enclose } from '../printer';

const hostile = fc.constantFrom(
  "'; DROP TABLE tracking.runs; --",
  '$1',
  '$2::text',
  '\\',
  "''",
  '""',
  '``',
  "x' OR '1'='1",
  ') OR TRUE --',
  'r.run_uuid',
  '%_',
  'NaN',
  'AND',
  '',
);

/** Arbitrary text a user could put in a key or value (NUL excluded: the lexer rejects it). */
export const userText: fc.Arbitrary<string> = fc
  .oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: 'binary-ascii', maxLength: 12 }), hostile)
  .filter((text) => !text.includes('\u0000'));

function quotable(text: string, quote: "'" | '"' | '`'): boolean {
  try {
    enclose(text, quote);
    return true;
  } catch {
    return false;
  }
}

const BARE_KEY = /^[\p{L}\p{N}_]+(\.[\p{L}\p{N}_]+)*$/u;

/** A key with a way of writing it that reads back as the same key. */
export const writtenKey: fc.Arbitrary<{ key: string; keyQuote: NameQuote }> = userText
  .map((key) => {
    const ways: NameQuote[] = [];
    if (BARE_KEY.test(key)) ways.push('bare');
    if (quotable(key, '`')) ways.push('backtick');
    if (quotable(key, '"')) ways.push('double');
    return { key, ways };
  })
  .filter(({ ways }) => ways.length > 0)
  .chain(({ key, ways }) => fc.constantFrom(...ways).map((keyQuote) => ({ key, keyQuote })));

const stringLiteral: fc.Arbitrary<StringLiteral> = fc
  .tuple(userText, fc.constantFrom<'single' | 'double'>('single', 'double'))
  .filter(([value, quote]) => quotable(value, quote === 'single' ? "'" : '"'))
  .map(([value, quote]) => ({ type: 'string', value, quote, position: 0 }));

const listLiteral: fc.Arbitrary<ValueNode> = fc.array(stringLiteral, { minLength: 1, maxLength: 4 }).map((items) => ({ type: 'list', items, position: 0 }));

const doubleText = fc.double({ noNaN: true, noDefaultInfinity: true }).map(String);
const int64Text = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);

function prefixed(prefixes: readonly string[]): fc.Arbitrary<IdentifierNode> {
  return fc
    .tuple(fc.constantFrom(...prefixes), fc.constantFrom<NameQuote>('bare', 'backtick'), writtenKey)
    .map(([name, quote, { key, keyQuote }]) => ({ prefix: { name, quote }, key, keyQuote, position: 0 }));
}

function attribute(names: readonly string[]): fc.Arbitrary<IdentifierNode> {
  return fc.tuple(fc.constantFrom(...names), fc.constantFrom(null, 'attributes', 'attr', 'run')).map(([key, prefix]) => ({
    prefix: prefix === null ? null : { name: prefix, quote: 'bare' },
    key,
    keyQuote: key.includes(' ') ? 'backtick' : 'bare',
    position: 0,
  }));
}

function comparison(
  identifier: fc.Arbitrary<IdentifierNode>,
  comparators: readonly Comparator[],
  value: (comparator: Comparator) => fc.Arbitrary<ValueNode>,
): fc.Arbitrary<ComparisonNode> {
  return fc
    .tuple(identifier, fc.constantFrom(...comparators))
    .chain(([id, comparator]) => value(comparator).map((v) => ({ identifier: id, comparator, comparatorPosition: 0, value: v })));
}

const number = (): fc.Arbitrary<ValueNode> => doubleText.map((text) => ({ type: 'number', text, position: 0 }));
const int64 = (): fc.Arbitrary<ValueNode> => int64Text.map((text) => ({ type: 'number', text, position: 0 }));
const stringOrList = (comparator: Comparator): fc.Arbitrary<ValueNode> => (comparator === 'IN' || comparator === 'NOT IN' ? listLiteral : stringLiteral);

/** Comparisons that runsSearch accepts. */
export const runsComparison: fc.Arbitrary<ComparisonNode> = fc.oneof(
  comparison(prefixed(['metric', 'metrics']), NUMERIC_COMPARATORS, number),
  comparison(prefixed(['param', 'params', 'parameter', 'parameters', 'tag', 'tags']), STRING_COMPARATORS, () => stringLiteral),
  comparison(prefixed(['param', 'params', 'tag', 'tags']), ['IS NULL', 'IS NOT NULL'], () => fc.constant<ValueNode>({ type: 'none', position: 0 })),
  comparison(attribute(['status', 'run_name', 'user_id', 'artifact_uri', 'Run name']), STRING_COMPARATORS, () => stringLiteral),
  comparison(attribute(['run_id']), LIST_COMPARATORS, stringOrList),
  comparison(attribute(['start_time', 'end_time', 'created', 'Created']), NUMERIC_COMPARATORS, int64),
  comparison(
    fc
      .constantFrom('name', 'digest', 'context')
      .map((key) => ({ prefix: { name: 'datasets', quote: 'bare' as const }, key, keyQuote: 'bare' as const, position: 0 })),
    LIST_COMPARATORS,
    stringOrList,
  ),
);

export const runsFilter: fc.Arbitrary<FilterNode> = fc.array(runsComparison, { maxLength: 5 }).map((comparisons) => ({ comparisons }));

/** order_by lists runsSearch accepts (no field twice). */
export const runsOrderBy: fc.Arbitrary<string[]> = fc
  .uniqueArray(
    fc.oneof(
      fc.tuple(fc.constantFrom('metrics', 'params', 'tags'), writtenKey).map(([prefix, { key, keyQuote }]) => ({
        id: `${prefix}:${key}`,
        text: `${prefix}.${keyQuote === 'bare' ? key : enclose(key, keyQuote === 'backtick' ? '`' : '"')}`,
      })),
      fc.constantFrom('start_time', 'end_time', 'status', 'run_name', 'user_id', 'artifact_uri', 'run_id').map((name) => ({
        id: `attribute:${name}`,
        text: `attributes.${name}`,
      })),
    ),
    { maxLength: 4, selector: (entry) => entry.id },
  )
  .chain((entries) =>
    fc
      .array(fc.constantFrom('', ' ASC', ' DESC', ' desc'), { minLength: entries.length, maxLength: entries.length })
      .map((directions) => entries.map((entry, i) => `${entry.text}${directions[i] ?? ''}`)),
  );

/** The same tree with positions zeroed, for comparing a re-parsed tree with the original. */
export function withoutPositions(filter: FilterNode): FilterNode {
  return JSON.parse(JSON.stringify(filter, (key, value: unknown) => (key === 'position' || key === 'comparatorPosition' ? 0 : value))) as FilterNode;
}
