import type { Comparator } from '../ast';

/**
 * What the compiler needs to know about one searchable entity (runs, experiments, registered
 * models, model versions...). Every table, alias and column named here is interpolated into
 * SQL, so descriptors are code, never data: user input only ever selects among them.
 */
export interface SearchEntity {
  /** Stable name; part of the page-token hash so a runs token is useless for experiments. */
  readonly name: string;
  /** Schema-qualified table of the searched rows, e.g. `tracking.runs`. */
  readonly table: string;
  /** Alias the caller must give `table` in its FROM clause; all SQL fragments use it. */
  readonly alias: string;
  /** Identifier prefixes as written by users (`metrics`, `params`, `attr`...) → what they denote. */
  readonly prefixes: Readonly<Record<string, KeyKind>>;
  /** How the prefixes are listed in "Invalid entity type" messages. */
  readonly prefixesForMessages: string;
  /** Canonical attribute name → column. */
  readonly attributes: Readonly<Record<string, AttributeColumn>>;
  /** Attribute names accepted in filters (aliases included) → canonical attribute name. */
  readonly filterableAttributes: Readonly<Record<string, string>>;
  /** Attribute names accepted in order_by (aliases included) → canonical attribute name. */
  readonly orderableAttributes: Readonly<Record<string, string>>;
  readonly metrics?: KeyValueTable;
  readonly params?: KeyValueTable;
  readonly tags?: KeyValueTable;
  readonly datasets?: DatasetInputTables;
  readonly ordering: OrderingRules;
  readonly maxResults: { readonly default: number; readonly max: number };
}

/** `attribute` covers bare names too: MLflow treats an identifier without a dot as an attribute. */
export type KeyKind = 'attribute' | 'metric' | 'param' | 'tag' | 'dataset';

/** SQL types the compiler casts bind parameters to. */
export type SqlType = 'text' | 'bigint' | 'integer' | 'double precision';

export interface AttributeColumn {
  readonly column: string;
  readonly type: 'text' | 'bigint';
  /** Whether the column can hold NULL; decides how sorting and keyset pages treat missing values. */
  readonly nullable: boolean;
  readonly comparators: readonly Comparator[];
  /** Whether `IN (...)`/`NOT IN (...)` lists are accepted (MLflow: only `run_id`). */
  readonly acceptsList: boolean;
}

/** A `(owner, key, value)` table such as params, tags or latest_metrics. */
export interface KeyValueTable {
  readonly table: string;
  /** Alias used inside the EXISTS subqueries built for filters. */
  readonly alias: string;
  /** `[column of this table, column of the searched table]` pairs linking a row to its owner. */
  readonly owner: ReadonlyArray<readonly [string, string]>;
  readonly keyColumn: string;
  readonly valueColumn: string;
  readonly valueType: 'text' | 'double precision';
  /** Boolean column flagging NaN values (latest_metrics.is_nan), if the table has one. */
  readonly nanColumn?: string;
  readonly comparators: readonly Comparator[];
  readonly orderable: boolean;
  /** How MLflow names this kind in messages (`metric`, `parameter`, `tag`). */
  readonly label: string;
}

/** MLflow's dataset lineage tables: datasets ← inputs (source) → run (destination) + input tags. */
export interface DatasetInputTables {
  readonly datasets: string;
  readonly inputs: string;
  readonly inputTags: string;
  /** Input tag holding the dataset context (`mlflow.data.context`). */
  readonly contextTag: string;
  /** Column of the searched table that `inputs.destination_id` refers to. */
  readonly ownerColumn: string;
  /** `inputs.source_type` / `destination_type` of a dataset consumed by this entity. */
  readonly sourceType: string;
  readonly destinationType: string;
  readonly comparators: readonly Comparator[];
}

export interface OrderTerm {
  /** Canonical attribute name. */
  readonly attribute: string;
  readonly ascending: boolean;
}

export interface OrderingRules {
  /** Order used when the request has no order_by at all. */
  readonly whenEmpty: readonly OrderTerm[];
  /** Appended, in this order, for each attribute the order does not already sort on. */
  readonly appendIfMissing: readonly OrderTerm[];
  /**
   * Whether requested attribute terms put missing values last in both directions (MLflow's SQL
   * store does for runs, via a CASE prefix; for experiments it leaves NULLs where Postgres puts
   * them). Defaults and tie-breakers always keep Postgres' placement so an index can serve them.
   */
  readonly requestedNullsLast: boolean;
  /** MLflow's SQL store rejects repeated order_by fields for runs (not for experiments). */
  readonly rejectDuplicates: boolean;
  /**
   * Attributes that together identify a row. The final order must contain all of them, which
   * is what makes keyset page tokens exact.
   */
  readonly uniqueKey: readonly string[];
}

export const NUMERIC_COMPARATORS: readonly Comparator[] = ['>', '>=', '!=', '=', '<', '<='];
export const STRING_COMPARATORS: readonly Comparator[] = ['!=', '=', 'LIKE', 'ILIKE'];
/** Run tags and params, experiment tags: MLflow's `VALID_TAG_COMPARATORS` with `IS [NOT] NULL`. */
export const KEY_PRESENCE_COMPARATORS: readonly Comparator[] = [...STRING_COMPARATORS, 'IS NULL', 'IS NOT NULL'];
export const LIST_COMPARATORS: readonly Comparator[] = ['!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
