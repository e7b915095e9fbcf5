import { parse } from 'graphql';
import { queryLimitError } from './query-limits';

const limitOf = (query: string) => queryLimitError(parse(query))?.message;
const nested = (depth: number) => `{ ${'a { '.repeat(depth - 1)}b${' }'.repeat(depth - 1)} }`;

describe('query limits (MLflow graphql_no_batching.py)', () => {
  it('lets the UI-sized run page through', () => {
    expect(
      limitOf('query GetRun { mlflowGetRun(input: {runId: "r"}) { run { inputs { datasetInputs { dataset { name } tags { key } } } } } }'),
    ).toBeUndefined();
  });

  it('refuses nesting deeper than 10 levels, counting the operation as level 1', () => {
    expect(limitOf(nested(10))).toBeUndefined();
    expect(limitOf(nested(11))).toBe('Query exceeds maximum depth of 10');
  });

  it('counts depth through fragments, so a self-referencing fragment stops at the bound', () => {
    expect(limitOf('{ ...F } fragment F on Query { a { ...F } }')).toBe('Query exceeds maximum depth of 10');
  });

  it('counts selections a fragment brings in each time it is spread', () => {
    // 10 spreads of a 101-field fragment: 1010 selections from a document of a few hundred tokens.
    const fields = Array.from({ length: 101 }, (_, i) => `f${i}`).join(' ');
    const spreads = Array.from({ length: 10 }, (_, i) => `r${i}: run { ...F }`).join(' ');
    expect(limitOf(`{ x { ${spreads} } } fragment F on R { ${fields} }`)).toBe('Query exceeds maximum total selections of 1000');
  });

  it('refuses more than 10 root fields or 10 aliases on one level, aliases in sibling fragments added up', () => {
    expect(limitOf(`{ ${Array.from({ length: 11 }, (_, i) => `f${i}`).join(' ')} }`)).toBe(
      'GraphQL queries should have at most 10 root fields, got 11 root fields.',
    );
    const six = (prefix: string) => Array.from({ length: 6 }, (_, i) => `${prefix}${i}: info`).join(' ');
    expect(limitOf(`{ run { ...A ...B } } fragment A on R { ${six('a')} } fragment B on R { ${six('b')} }`)).toBe(
      'GraphQL queries should have at most 10 aliases, got 12 aliases.',
    );
  });
});
