import fc from 'fast-check';

import { parseFilter } from './parser';
import { printFilter } from './printer';
import { runsFilter, withoutPositions } from './testing/filter-trees';

describe('printFilter', () => {
  it('prints the canonical form of a filter', () => {
    const source = "metrics.`val auc`>0.8 and tags.mlflow.runName like 'a%' AND run_id not in ('x',\"y\") AND created >= 5";
    expect(printFilter(parseFilter(source))).toBe("metrics.`val auc` > 0.8 AND tags.mlflow.runName LIKE 'a%' AND run_id NOT IN ('x', \"y\") AND created >= 5");
  });

  it('refuses trees no source text produces', () => {
    const filter = parseFilter("tags.a = 'x'");
    const comparison = filter.comparisons[0];
    if (comparison === undefined) throw new Error('parsed nothing');
    const endsInBackslash = { ...comparison, value: { type: 'string' as const, value: 'x\\', quote: 'single' as const, position: 0 } };
    expect(() => printFilter({ comparisons: [endsInBackslash] })).toThrow('cannot be written between');
    const spacedBareKey = { ...comparison, identifier: { ...comparison.identifier, key: 'a b' } };
    expect(() => printFilter({ comparisons: [spacedBareKey] })).toThrow('cannot be written as a bare key');
  });

  it('round-trips: parseFilter(printFilter(tree)) is the tree', () => {
    fc.assert(
      fc.property(runsFilter, (tree) => {
        expect(withoutPositions(parseFilter(printFilter(tree)))).toEqual(withoutPositions(tree));
      }),
      { numRuns: 500 },
    );
  });
});
