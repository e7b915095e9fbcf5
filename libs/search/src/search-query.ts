import type { SearchClause, SortKey } from './ast';
import {
  afterRowPredicate,
  compileFilter,
  compileOrder,
  keysPresentInEveryMatch,
  orderByList,
  SORT_COLUMN_PREFIX,
  sortKeySelect,
  SqlParams,
  type SortComponent,
  type SortValue,
} from './compile-sql';
import type { SearchEntity } from './entities/descriptor';
import { SearchSyntaxError } from './errors';
import { decodePageToken, encodePageToken, queryFingerprint } from './page-token';
import { parseFilter } from './parser';
import { resolveFilter } from './resolve-filter';
import { resolveOrderBy } from './order-by';

export interface SearchRequest {
  /** MLflow filter string; empty or absent matches everything. */
  readonly filter?: string | undefined;
  readonly orderBy?: readonly string[] | undefined;
  readonly pageToken?: string | undefined;
  /** 0 or absent means the entity's default (MLflow treats an unset proto field as 0). */
  readonly maxResults?: number | undefined;
  /** First `$n` this compiler may use; the caller keeps `$1..$(n-1)` for its own conditions. */
  readonly firstParamIndex?: number;
  /**
   * Whatever else shapes the result set (experiment ids, view type): folded into the page-token
   * fingerprint so a token cannot resume a different search. Any JSON-serialisable value.
   */
  readonly scope?: unknown;
  /** Server secret for the page-token MAC; defaults to a library constant. */
  readonly tokenSecret?: string;
}

export interface SearchPage<Row> {
  readonly rows: Row[];
  /** Absent when this is the last page (clients stop on a missing token). */
  readonly nextPageToken: string | undefined;
}

/**
 * SQL fragments for one search. Assemble them as:
 *
 *   SELECT <alias>.*, ${sortKeySelect}
 *   FROM <entity.table> <alias> ${joins}
 *   WHERE <caller conditions on $1..$(first-1)> AND ${where}
 *   ORDER BY ${orderBy}
 *   LIMIT ${limit} OFFSET ${offset}
 *
 * and pass `[...callerParams, ...params]`. Then `page(rows)` trims the look-ahead row and
 * builds the next page token from the `search_sort_<i>` columns of the last row kept.
 */
export interface CompiledSearch {
  readonly alias: string;
  readonly joins: string;
  readonly where: string;
  readonly orderBy: string;
  readonly sortKeySelect: string;
  readonly params: readonly unknown[];
  /** maxResults + 1: the extra row tells whether another page exists. */
  readonly limit: number;
  /** Non-zero only when resuming from an MLflow offset token. */
  readonly offset: number;
  readonly maxResults: number;
  readonly clauses: readonly SearchClause[];
  readonly sortKeys: readonly SortKey[];
  page<Row extends Readonly<Record<string, unknown>>>(rows: readonly Row[]): SearchPage<Row>;
}

export function compileSearch(entity: SearchEntity, request: SearchRequest): CompiledSearch {
  const maxResults = resolveMaxResults(entity, request.maxResults);
  const clauses = request.filter ? resolveFilter(entity, parseFilter(request.filter)) : [];
  const sortKeys = resolveOrderBy(entity, request.orderBy);

  const params = new SqlParams(request.firstParamIndex ?? 1);
  const order = compileOrder(entity, sortKeys, params, keysPresentInEveryMatch(clauses));
  const filterSql = compileFilter(entity, clauses, params, order.innerJoined);
  const fingerprint = queryFingerprint({ entity: entity.name, clauses, sortKeys, scope: request.scope ?? null });

  let where = filterSql;
  let offset = 0;
  if (request.pageToken) {
    const token = decodePageToken(request.pageToken, {
      fingerprint,
      components: order.components,
      ...(request.tokenSecret === undefined ? {} : { secret: request.tokenSecret }),
    });
    if (token.kind === 'offset') {
      offset = token.offset;
    } else {
      const after = afterRowPredicate(order.components, token.values, params);
      where = filterSql === 'TRUE' ? after : `${filterSql} AND ${after}`;
    }
  }

  return {
    alias: entity.alias,
    joins: order.joins.join(' '),
    where,
    orderBy: orderByList(order.components),
    sortKeySelect: sortKeySelect(order.components),
    params: params.values,
    limit: maxResults + 1,
    offset,
    maxResults,
    clauses,
    sortKeys,
    page<Row extends Readonly<Record<string, unknown>>>(rows: readonly Row[]): SearchPage<Row> {
      const kept = rows.slice(0, maxResults);
      const last = kept[kept.length - 1];
      if (rows.length <= maxResults || last === undefined) return { rows: kept, nextPageToken: undefined };
      const values = readSortValues(last, order.components);
      return { rows: kept, nextPageToken: encodePageToken(fingerprint, values, request.tokenSecret) };
    },
  };
}

/** MLflow: unset/0 → default; above the threshold → INVALID_PARAMETER_VALUE. */
export function resolveMaxResults(entity: SearchEntity, requested: number | undefined): number {
  if (requested === undefined || requested === 0) return entity.maxResults.default;
  if (!Number.isSafeInteger(requested) || requested < 0) {
    throw new SearchSyntaxError(`Invalid value for max_results. It must be a positive integer, but got ${requested}`, 'max_results');
  }
  if (requested > entity.maxResults.max) {
    throw new SearchSyntaxError(`Invalid value for max_results. It must be at most ${entity.maxResults.max}, but got ${requested}`, 'max_results');
  }
  return requested;
}

/** Reads the `search_sort_<i>` columns back, normalising what `pg` returns (int8 → string...). */
function readSortValues(row: Readonly<Record<string, unknown>>, components: readonly SortComponent[]): SortValue[] {
  return components.map((component, i) => {
    const column = `${SORT_COLUMN_PREFIX}${i}`;
    const value = row[column];
    if (value === null || value === undefined) {
      if (component.nulls !== 'never' && value === null) return null;
      throw new Error(`search row lacks a value for ${column}: select CompiledSearch.sortKeySelect`);
    }
    switch (component.type) {
      case 'integer':
      case 'double precision':
        return Number(value);
      case 'bigint':
        return typeof value === 'bigint' || typeof value === 'number' ? BigInt(value).toString() : String(value);
      case 'text':
        return String(value);
    }
  });
}
