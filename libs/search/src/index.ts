export type {
  AttributeClause,
  Comparator,
  ComparisonNode,
  DatasetClause,
  FilterNode,
  IdentifierNode,
  KeyValueClause,
  ListLiteral,
  MetricClause,
  NameQuote,
  NumberLiteral,
  OrderByNode,
  SearchClause,
  SortKey,
  StringLiteral,
  ValueNode,
} from './ast';
export { SearchSyntaxError, type SearchField } from './errors';
export { parseFilter } from './parser';
export { printFilter } from './printer';
export { resolveFilter } from './resolve-filter';
export { parseOrderByClause, resolveOrderBy } from './order-by';
export { afterRowPredicate, compileFilter, compileOrder, SqlParams, type CompiledOrder, type SortComponent, type SortValue } from './compile-sql';
export { decodePageToken, encodePageToken, type DecodedPageToken } from './page-token';
export { compileSearch, resolveMaxResults, type CompiledSearch, type SearchPage, type SearchRequest } from './search-query';
export type { AttributeColumn, DatasetInputTables, KeyKind, KeyValueTable, OrderTerm, OrderingRules, SearchEntity, SqlType } from './entities/descriptor';
export { runsSearch } from './entities/runs';
export { experimentsSearch } from './entities/experiments';
export { tracesSearch } from './entities/traces';
export { readScopeCondition, type ScopeCondition } from './read-scope';
