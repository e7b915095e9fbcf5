/**
 * Syntax tree of an MLflow filter / order_by string, before it is checked against an entity.
 * Positions are 0-based character offsets into the source string.
 */

export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | 'IS NULL' | 'IS NOT NULL';

/** `IS NULL` / `IS NOT NULL`: the comparators that take no value (MLflow 2.x+ for tags and params). */
export type PresenceComparator = Extract<Comparator, 'IS NULL' | 'IS NOT NULL'>;

export const isPresenceComparator = (comparator: Comparator): comparator is PresenceComparator => comparator === 'IS NULL' || comparator === 'IS NOT NULL';

/** How a name was written: bare (`val_auc`), backticked (`` `val auc` ``) or double-quoted. */
export type NameQuote = 'bare' | 'backtick' | 'double';

export interface IdentifierNode {
  /** The part before the first dot (`metrics`, `` `tags` ``), or null for a bare attribute. */
  readonly prefix: { readonly name: string; readonly quote: NameQuote } | null;
  /**
   * Everything after the first dot, unquoted. MLflow splits on the first dot only, so
   * `tags.mlflow.runName` has the key `mlflow.runName`.
   */
  readonly key: string;
  readonly keyQuote: NameQuote;
  readonly position: number;
}

export interface StringLiteral {
  readonly type: 'string';
  /**
   * The text between the quotes, verbatim. MLflow (via sqlparse) lets `''`/`\'` appear inside
   * a single-quoted string without ending it but never unescapes them, so neither do we.
   */
  readonly value: string;
  readonly quote: 'single' | 'double';
  readonly position: number;
}

export interface NumberLiteral {
  readonly type: 'number';
  /** The literal as written (`-1.5e3`); entities decide whether it is a double or an integer. */
  readonly text: string;
  readonly position: number;
}

export interface ListLiteral {
  readonly type: 'list';
  readonly items: readonly StringLiteral[];
  readonly position: number;
}

/** The missing right-hand side of `IS NULL` / `IS NOT NULL`. */
export interface NoValue {
  readonly type: 'none';
  readonly position: number;
}

export type ValueNode = StringLiteral | NumberLiteral | ListLiteral | NoValue;

export interface ComparisonNode {
  readonly identifier: IdentifierNode;
  readonly comparator: Comparator;
  readonly comparatorPosition: number;
  readonly value: ValueNode;
}

/** A filter is a conjunction: MLflow only supports `AND`. An empty filter matches everything. */
export interface FilterNode {
  readonly comparisons: readonly ComparisonNode[];
}

export interface OrderByNode {
  readonly identifier: IdentifierNode;
  /** null when the clause names no direction (MLflow then sorts ascending). */
  readonly direction: 'ASC' | 'DESC' | null;
}

/*
 * Typed clauses: a FilterNode after it has been checked against an entity (see resolveFilter).
 * Names are canonical (aliases such as `created` resolved), values converted to their SQL type.
 */

export type SearchClause = AttributeClause | MetricClause | KeyValueClause | DatasetClause;

export interface AttributeClause {
  readonly kind: 'attribute';
  /** Canonical attribute name from the entity descriptor, e.g. `start_time` for `created`. */
  readonly attribute: string;
  readonly comparator: Comparator;
  /** Text, an int64 as a decimal string (bigint attributes), or the items of an IN list. */
  readonly value: string | readonly string[];
}

export interface MetricClause {
  readonly kind: 'metric';
  readonly key: string;
  readonly comparator: Comparator;
  /** May be ±Infinity (`1e999`), never NaN. */
  readonly value: number;
}

export interface KeyValueClause {
  readonly kind: 'param' | 'tag';
  readonly key: string;
  readonly comparator: Comparator;
  /** null for `IS NULL` / `IS NOT NULL`, which test whether the key is there at all. */
  readonly value: string | null;
}

export interface DatasetClause {
  readonly kind: 'dataset';
  readonly field: 'name' | 'digest' | 'context';
  readonly comparator: Comparator;
  readonly value: string | readonly string[];
}

/** One key of the final sort order, defaults and tie-breakers included. */
export type SortKey =
  | {
      readonly kind: 'attribute';
      readonly attribute: string;
      readonly ascending: boolean;
      /**
       * true: missing values last in both directions (MLflow wraps every requested order_by
       * term in `CASE WHEN x IS NULL THEN 1 ELSE 0 END`). false: Postgres' own placement
       * (NULLS LAST ascending, NULLS FIRST descending), as for MLflow's appended defaults.
       */
      readonly nullsLast: boolean;
    }
  | { readonly kind: 'metric' | 'param' | 'tag'; readonly key: string; readonly ascending: boolean };
