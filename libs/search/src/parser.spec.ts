import type { Comparator, ComparisonNode } from './ast';
import { SearchSyntaxError } from './errors';
import { parseFilter } from './parser';

function only(filter: string): ComparisonNode {
  const { comparisons } = parseFilter(filter);
  expect(comparisons).toHaveLength(1);
  return comparisons[0] as ComparisonNode;
}

function syntaxError(filter: string): SearchSyntaxError {
  try {
    parseFilter(filter);
  } catch (error) {
    expect(error).toBeInstanceOf(SearchSyntaxError);
    return error as SearchSyntaxError;
  }
  throw new Error(`expected ${filter} to be rejected`);
}

describe('parseFilter', () => {
  it.each(['', '   ', '\n\t'])('treats %j as "match everything", as MLflow does', (filter) => {
    expect(parseFilter(filter).comparisons).toEqual([]);
  });

  it.each<[string, Comparator]>([
    ['metrics.acc = 1', '='],
    ['metrics.acc != 1', '!='],
    ['metrics.acc < 1', '<'],
    ['metrics.acc <= 1', '<='],
    ['metrics.acc > 1', '>'],
    ['metrics.acc >= 1', '>='],
    ["params.lr LIKE '0.%'", 'LIKE'],
    ["params.lr ILIKE '0.%'", 'ILIKE'],
    ["run_id IN ('a')", 'IN'],
    ["run_id NOT IN ('a')", 'NOT IN'],
  ])('reads %s with comparator %s', (filter, comparator) => {
    expect(only(filter).comparator).toBe(comparator);
  });

  it.each([
    "params.lr like '0.%' and tags.x ilike 'A%' And run_id not in ('a') aNd run_id iN ('b')",
    "params.lr LIKE '0.%' AND tags.x ILIKE 'A%' AND run_id NOT IN ('a') AND run_id IN ('b')",
  ])('matches keywords case-insensitively: %s', (filter) => {
    expect(parseFilter(filter).comparisons.map((c) => c.comparator)).toEqual(['LIKE', 'ILIKE', 'NOT IN', 'IN']);
  });

  it('splits the identifier at the first dot only', () => {
    expect(only("tags.mlflow.runName = 'x'").identifier).toEqual({
      prefix: { name: 'tags', quote: 'bare' },
      key: 'mlflow.runName',
      keyQuote: 'bare',
      position: 0,
    });
  });

  it('reads backticked and double-quoted keys verbatim', () => {
    expect(only('metrics.`val auc` > 0.5').identifier.key).toBe('val auc');
    expect(only('metrics."val-auc" > 0.5').identifier).toMatchObject({ key: 'val-auc', keyQuote: 'double' });
    expect(only("tags.`mlflow.user` = 'x'").identifier.key).toBe('mlflow.user');
    expect(only('`metrics`.`a b` > 1').identifier).toMatchObject({
      prefix: { name: 'metrics', quote: 'backtick' },
      key: 'a b',
    });
  });

  it('reads bare attributes, including quoted aliases such as `Run name`', () => {
    expect(only("status = 'FINISHED'").identifier).toMatchObject({ prefix: null, key: 'status' });
    expect(only("`Run name` = 'x'").identifier).toMatchObject({ prefix: null, key: 'Run name', keyQuote: 'backtick' });
  });

  it('lets a key segment after a dot start with a digit', () => {
    expect(only('metrics.0_loss < 1').identifier.key).toBe('0_loss');
  });

  it('keeps string contents verbatim: MLflow strips the outer quotes and nothing else', () => {
    expect(only("tags.note = 'it''s'").value).toMatchObject({ type: 'string', value: "it''s", quote: 'single' });
    expect(only("tags.note = 'it\\'s'").value).toMatchObject({ value: "it\\'s" });
    expect(only('tags.note = "say ""hi"""').value).toMatchObject({ value: 'say ""hi""', quote: 'double' });
    expect(only(`params.path = 'C:\\data\\x'`).value).toMatchObject({ value: 'C:\\data\\x' });
    expect(only(`tags.q = "it's"`).value).toMatchObject({ value: "it's" });
  });

  it.each(['1', '-1', '0.5', '-0.5', '.5', '5.', '1e5', '1E-5', '-2.5e+3'])('reads the number %s', (text) => {
    expect(only(`metrics.x > ${text}`).value).toEqual({ type: 'number', text, position: 12 });
  });

  it('needs no spaces around comparators and accepts any whitespace between tokens', () => {
    expect(parseFilter("metrics.x>-1 AND params.y='a'").comparisons).toHaveLength(2);
    expect(parseFilter("\n metrics.x\t>=\n2\r\nand\tparams.y  =  'a'  ").comparisons).toHaveLength(2);
  });

  it('reads IN lists with either quote, and a trailing comma', () => {
    const value = only(`attributes.run_id IN ('a', "b",)`).value;
    expect(value.type === 'list' && value.items.map((item) => item.value)).toEqual(['a', 'b']);
  });

  it('records the position of every part', () => {
    const comparison = only("  params.lr  LIKE  'x%'");
    expect(comparison.identifier.position).toBe(2);
    expect(comparison.comparatorPosition).toBe(13);
    expect(comparison.value.position).toBe(19);
  });

  describe('rejects', () => {
    it.each<[string, number, RegExp]>([
      ['metrics.a > 1 OR metrics.b > 1', 14, /'OR' is not supported/],
      ['metrics.a > 1 or metrics.b > 1', 14, /'OR' is not supported/],
      ['(metrics.a > 1)', 0, /parentheses cannot be used for grouping/],
      ['metrics.a > 1 AND', 14, /expected a comparison after AND/],
      ['AND metrics.a > 1', 0, /expected an identifier/],
      ['metrics.a > 1 metrics.b > 2', 14, /expected AND or the end of the filter, found 'metrics'/],
      ["tags.a = 'open", 9, /unterminated string/],
      ['tags.`a = 1', 5, /unterminated backtick-quoted name/],
      ["tags.a NOT LIKE 'x'", 11, /expected IN after NOT/],
      ['tags.a IS 1', 10, /expected NULL or NOT NULL after IS/],
      ["tags.a IS NULL 'x'", 15, /expected AND or the end of the filter/],
      ['metrics.a <> 1', 10, /unsupported comparator '<>'/],
      ['metrics.a == 1', 10, /unsupported comparator '=='/],
      ['metrics.a > ', 12, /expected a quoted string or a number after '>', found the end of the string/],
      ['metrics.a 1', 10, /expected a comparison operator .* after 'metrics.a', found '1'/],
      ['tags.a = abc', 9, /Parameter value is either not quoted or unidentified quote types used for string value abc/],
      ['tags.a = `abc`', 9, /not quoted or unidentified quote types/],
      ["run_id IN 'a'", 10, /expected a parenthesized list/],
      ['run_id IN ()', 11, /expected a non-empty list of string values, but got empty list/],
      ["run_id IN ('a', 1)", 16, /expected string value, punctuation, or whitespace/],
      ["run_id = ('a')", 9, /can only follow IN or NOT IN/],
      ['metrics . a > 1', 8, /no spaces around '.'/],
      ["tags.`a`.b = 'x'", 5, /a quoted key must be the whole key/],
      ["tags.a = 'x'; DROP TABLE runs", 12, /unexpected character ';'/],
      ['metrics.a > 1abc', 12, /malformed number/],
      ['metrics.a > --1', 12, /unexpected character '-'/],
      ["tags.a = 'x\u0000y'", 11, /the NUL character is not allowed/],
    ])('%j at position %i', (filter, position, message) => {
      const error = syntaxError(filter);
      expect(error.position).toBe(position);
      expect(error.message).toMatch(message);
      expect(error.message).toContain(`(at position ${position})`);
      expect(error.errorCode).toBe('INVALID_PARAMETER_VALUE');
      expect(error.field).toBe('filter');
    });
  });
});
