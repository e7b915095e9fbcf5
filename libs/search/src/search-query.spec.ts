import fc from 'fast-check';

import type { FilterNode, NameQuote, ValueNode } from './ast';
import { experimentsSearch } from './entities/experiments';
import { runsSearch } from './entities/runs';
import { SearchSyntaxError } from './errors';
import { enclose, printFilter } from './printer';
import { compileSearch, resolveMaxResults, type CompiledSearch } from './search-query';
import { runsFilter, userText, writtenKey } from './testing/filter-trees';

function sqlText(search: CompiledSearch): string {
  return [search.joins, search.where, search.orderBy, search.sortKeySelect].join('\n');
}

function placeholders(text: string): number[] {
  return [...new Set([...text.matchAll(/\$(\d+)/gu)].map((m) => Number(m[1])))].sort((a, b) => a - b);
}

const FREE_KEY_PREFIXES = new Set(['metric', 'metrics', 'param', 'params', 'parameter', 'parameters', 'tag', 'tags']);

const KIND_OF_PREFIX: Readonly<Record<string, string>> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
};

/**
 * Stand-in keys `k0, k1, ...`, one per distinct (kind, key): the SQL may depend on whether the
 * filter and the order_by name the same key (it then joins that row once), never on the key's text.
 */
class StandInKeys {
  private readonly ids = new Map<string, string>();
  of(prefix: string, key: string): string {
    const id = `${KIND_OF_PREFIX[prefix] ?? prefix}:${key}`;
    let standIn = this.ids.get(id);
    if (standIn === undefined) {
      standIn = `k${this.ids.size}`;
      this.ids.set(id, standIn);
    }
    return standIn;
  }
}

/** The same tree with every key and value replaced by a fixed stand-in of the same shape. */
function skeleton(filter: FilterNode, keys: StandInKeys): FilterNode {
  const value = (node: ValueNode): ValueNode => {
    switch (node.type) {
      case 'number':
        return { ...node, text: '1' };
      case 'string':
        return { ...node, value: 'v' };
      case 'list':
        return { ...node, items: node.items.map((item) => ({ ...item, value: 'v' })) };
      case 'none':
        return node;
    }
  };
  return {
    comparisons: filter.comparisons.map((c) => ({
      ...c,
      // Metric, param and tag keys are free text; attribute and dataset names are not.
      identifier: FREE_KEY_PREFIXES.has(c.identifier.prefix?.name ?? '')
        ? { ...c.identifier, key: keys.of(c.identifier.prefix?.name ?? '', c.identifier.key), keyQuote: 'bare' }
        : c.identifier,
      value: value(c.value),
    })),
  };
}

const orderByKeys = fc.uniqueArray(fc.tuple(fc.constantFrom('metrics', 'params', 'tags'), writtenKey, fc.constantFrom('', ' DESC')), {
  maxLength: 3,
  selector: ([prefix, { key }]) => `${prefix}:${key}`,
});
const render = (prefix: string, key: string, quote: NameQuote, direction: string): string =>
  `${prefix}.${quote === 'bare' ? key : enclose(key, quote === 'backtick' ? '`' : '"')}${direction}`;

describe('compileSearch: user text never becomes SQL', () => {
  it('produces the same SQL text whatever the keys and values are', () => {
    fc.assert(
      fc.property(runsFilter, orderByKeys, (tree, keys) => {
        const orderBy = keys.map(([prefix, { key, keyQuote }, direction]) => render(prefix, key, keyQuote, direction));
        const standInKeys = new StandInKeys();
        const standInFilter = printFilter(skeleton(tree, standInKeys));
        const standIns = keys.map(([prefix, { key }, direction]) => `${prefix}.${standInKeys.of(prefix, key)}${direction}`);
        const real = compileSearch(runsSearch, { filter: printFilter(tree), orderBy });
        const stand = compileSearch(runsSearch, { filter: standInFilter, orderBy: standIns });
        expect(sqlText(real)).toBe(sqlText(stand));
        expect(real.params).toHaveLength(stand.params.length);
      }),
      { numRuns: 300 },
    );
  });

  it('binds marked keys and values as parameters and never writes them into the SQL', () => {
    const quotable = (text: string): string | undefined => {
      for (const quote of ["'", '"'] as const) {
        try {
          return enclose(text, quote);
        } catch {
          // try the other quote
        }
      }
      return undefined;
    };
    const marked = userText.map((text) => `§${text}`);
    fc.assert(
      fc.property(marked, marked, fc.constantFrom('params', 'tags'), (key, value, prefix) => {
        const literal = quotable(value);
        fc.pre(literal !== undefined && !key.includes('`'));
        const search = compileSearch(runsSearch, {
          filter: `${prefix}.\`${key}\` = ${literal}`,
          orderBy: [`${prefix}.\`${key}\` DESC`],
        });
        expect(sqlText(search)).not.toContain('§');
        // Filtered and sorted on the same key: its row is joined once, the key bound once.
        expect(search.params).toEqual([key, value]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('compileSearch', () => {
  it('numbers its parameters contiguously from firstParamIndex', () => {
    const search = compileSearch(runsSearch, {
      filter: "metrics.acc > 0.5 AND params.lr = '0.1' AND run_id IN ('a')",
      orderBy: ['tags.team'],
      firstParamIndex: 3,
    });
    expect(placeholders(sqlText(search))).toEqual([3, 4, 5, 6, 7, 8]);
    expect(search.params).toEqual(['team', 'acc', 0.5, 'lr', '0.1', ['a']]);
  });

  it('asks for one row more than a page and only hands out a token when that row exists', () => {
    const search = compileSearch(runsSearch, { maxResults: 2 });
    expect(search.limit).toBe(3);
    const rows = [
      { id: 'a', search_sort_0: '30', search_sort_1: 'a' },
      { id: 'b', search_sort_0: '20', search_sort_1: 'b' },
      { id: 'c', search_sort_0: '10', search_sort_1: 'c' },
    ];
    expect(search.page(rows.slice(0, 2))).toEqual({ rows: rows.slice(0, 2), nextPageToken: undefined });
    const page = search.page(rows);
    expect(page.rows.map((r) => r.id)).toEqual(['a', 'b']);
    expect(page.nextPageToken).toEqual(expect.any(String));
  });

  it('resumes strictly after the last row of the previous page', () => {
    const first = compileSearch(runsSearch, { filter: "tags.team = 'ml'", maxResults: 1, firstParamIndex: 2 });
    const { nextPageToken } = first.page([
      { search_sort_0: 1_700_000_000_000, search_sort_1: 'run-b' },
      { search_sort_0: 1_600_000_000_000, search_sort_1: 'run-a' },
    ]);
    const next = compileSearch(runsSearch, { filter: "tags.team = 'ml'", maxResults: 1, firstParamIndex: 2, pageToken: nextPageToken });
    expect(next.where).toBe(
      'EXISTS (SELECT 1 FROM tracking.tags t WHERE t.run_uuid = r.run_uuid AND t.key = $2::text AND t.value = $3::text)' +
        ' AND (r.start_time <= $4::bigint AND ((r.start_time < $4::bigint) OR (r.start_time = $4::bigint AND r.run_uuid > $5::text)))',
    );
    expect(next.params).toEqual(['team', 'ml', '1700000000000', 'run-b']);
    expect(next.offset).toBe(0);
  });

  it('refuses a token from another filter, order, scope or secret', () => {
    const request = { filter: "tags.team = 'ml'", maxResults: 1, scope: { experimentIds: ['1'] }, tokenSecret: 's' };
    const { nextPageToken } = compileSearch(runsSearch, request).page([
      { search_sort_0: '2', search_sort_1: 'b' },
      { search_sort_0: '1', search_sort_1: 'a' },
    ]);
    const resume =
      (changes: object): (() => CompiledSearch) =>
      () =>
        compileSearch(runsSearch, { ...request, ...changes, pageToken: nextPageToken });
    expect(resume({})).not.toThrow();
    expect(resume({ filter: "tags.team  =  'ml'" })).not.toThrow(); // same search, other spacing
    expect(resume({ filter: "tags.team = 'ai'" })).toThrow(/belongs to a different search/u);
    expect(resume({ orderBy: ['start_time DESC'] })).toThrow(/belongs to a different search/u);
    expect(resume({ scope: { experimentIds: ['2'] } })).toThrow(/belongs to a different search/u);
    expect(resume({ tokenSecret: 't' })).toThrow(/corrupted or was modified/u);
    expect(() => compileSearch(experimentsSearch, { maxResults: 1, pageToken: nextPageToken })).toThrow(SearchSyntaxError);
  });

  it('resumes MLflow offset tokens with OFFSET, then hands out keyset tokens', () => {
    const search = compileSearch(experimentsSearch, { maxResults: 1, pageToken: 'eyJvZmZzZXQiOiAxMDAwfQ==' });
    expect(search.offset).toBe(1000);
    expect(search.where).toBe('TRUE');
    const { nextPageToken } = search.page([
      { search_sort_0: '5', search_sort_1: '7' },
      { search_sort_0: '4', search_sort_1: '8' },
    ]);
    const next = compileSearch(experimentsSearch, { maxResults: 1, pageToken: nextPageToken });
    expect(next.offset).toBe(0);
    expect(next.params).toEqual(['5', '7']);
  });

  it('normalises what pg returns for int8 and float8 before putting it in a token', () => {
    const search = compileSearch(runsSearch, { orderBy: ['metrics.acc'], maxResults: 1 });
    const row = { search_sort_0: 0, search_sort_1: '0.25', search_sort_2: 1_700_000_000_000, search_sort_3: 'x' };
    const { nextPageToken } = search.page([row, row]);
    const next = compileSearch(runsSearch, { orderBy: ['metrics.acc'], maxResults: 1, pageToken: nextPageToken });
    expect(next.params).toEqual(['acc', 0, 0.25, '1700000000000', 'x']);
  });

  it('fails loudly when the caller forgot to select the sort columns', () => {
    const search = compileSearch(runsSearch, { maxResults: 1 });
    expect(() => search.page([{ id: 'a' }, { id: 'b' }])).toThrow(/select CompiledSearch.sortKeySelect/u);
  });

  it('reports which field is wrong', () => {
    const field = (request: Parameters<typeof compileSearch>[1]): string | undefined => {
      try {
        compileSearch(runsSearch, request);
      } catch (error) {
        return error instanceof SearchSyntaxError ? error.field : 'not a SearchSyntaxError';
      }
      return undefined;
    };
    expect(field({ filter: 'metrics.a > ' })).toBe('filter');
    expect(field({ orderBy: ['metrics.a sideways'] })).toBe('order_by');
    expect(field({ pageToken: '!!' })).toBe('page_token');
    expect(field({ maxResults: 50001 })).toBe('max_results');
  });
});

describe('resolveMaxResults', () => {
  it.each([
    [undefined, 1000],
    [0, 1000],
    [1, 1],
    [50000, 50000],
  ])('turns %p into %i', (requested, expected) => {
    expect(resolveMaxResults(runsSearch, requested)).toBe(expected);
  });

  it.each<[number, string]>([
    [50001, 'Invalid value for max_results. It must be at most 50000, but got 50001'],
    [-1, 'Invalid value for max_results. It must be a positive integer, but got -1'],
    [1.5, 'Invalid value for max_results. It must be a positive integer, but got 1.5'],
  ])('rejects %p', (requested, message) => {
    expect(() => resolveMaxResults(experimentsSearch, requested)).toThrow(message);
  });
});
