import type { ReadScope } from '@cairn/contracts';

/** A WHERE condition and the bind values of its `$n` placeholders, numbered from the caller's index. */
export interface ScopeCondition {
  readonly sql: string;
  readonly values: readonly unknown[];
}

const isInt64 = (id: string): boolean => /^-?\d{1,19}$/u.test(id) && BigInt(id) >= -(2n ** 63n) && BigInt(id) < 2n ** 63n;

/**
 * Keeps the rows of `column` a caller may read, for every search and list (experiments and what
 * inherits from them by `experiment_id`, registered models and their versions by `name`). Filtering
 * in the query itself is what keeps pages, page tokens, counts and ordering to the visible rows.
 *
 * `{kind: 'all'}` (auth off, an admin) is `TRUE` with no parameter: Postgres folds it away, so the
 * plan is the one the query had before any scope existed. The id list travels as one array
 * parameter. Ids that are not int64 decimals cannot name a bigint row: they are dropped rather than
 * cast (a cast error would be a 500), which hides nothing more and reveals nothing.
 */
export function readScopeCondition(scope: ReadScope, column: string, idType: 'bigint' | 'text', paramIndex: number): ScopeCondition {
  if (!Number.isInteger(paramIndex) || paramIndex < 1) throw new Error(`parameter index must be a positive integer, got ${paramIndex}`);
  if (scope.kind === 'all') return { sql: 'TRUE', values: [] };
  const ids = idType === 'bigint' ? scope.ids.filter(isInt64) : scope.ids;
  if (ids.length === 0) return { sql: scope.kind === 'only' ? 'FALSE' : 'TRUE', values: [] };
  const list = `$${paramIndex}::${idType}[]`;
  return { sql: scope.kind === 'only' ? `${column} = ANY(${list})` : `${column} <> ALL(${list})`, values: [ids] };
}
