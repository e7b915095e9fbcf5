import {
  isPresenceComparator,
  type AttributeClause,
  type Comparator,
  type ComparisonNode,
  type DatasetClause,
  type FilterNode,
  type IdentifierNode,
  type PresenceComparator,
  type SearchClause,
  type ValueNode,
} from './ast';
import type { KeyKind, SearchEntity } from './entities/descriptor';
import { filterError, pythonSet } from './errors';

/**
 * Checks a parsed filter against an entity and converts it to typed clauses, in MLflow's
 * order: identifier first (`_get_identifier`), then value (`_get_value`), then comparator
 * (`is_metric`/`is_param`/...). Messages keep MLflow's wording and add the position.
 */
export function resolveFilter(entity: SearchEntity, filter: FilterNode): SearchClause[] {
  return filter.comparisons.map((comparison) => resolveComparison(entity, comparison));
}

const DATASET_FIELDS = ['name', 'digest', 'context'] as const;
type DatasetField = (typeof DATASET_FIELDS)[number];
const isDatasetField = (key: string): key is DatasetField => (DATASET_FIELDS as readonly string[]).includes(key);

export type Fail = (message: string, position: number) => never;

const failFilter: Fail = (message, position) => {
  throw filterError(message, position);
};

/** Which kind of key an identifier names for this entity, or an MLflow "Invalid entity type" error. */
export function identifierKind(entity: SearchEntity, identifier: IdentifierNode, fail: Fail): KeyKind {
  if (identifier.prefix === null) return 'attribute';
  // MLflow trims backticks from the prefix (`_trim_backticks`) but not double quotes.
  const written = identifier.prefix.quote === 'double' ? `"${identifier.prefix.name}"` : identifier.prefix.name;
  const kind = identifier.prefix.quote === 'double' ? undefined : entity.prefixes[identifier.prefix.name];
  if (kind === undefined) {
    fail(`Invalid entity type '${written}'. Valid entity types are ${entity.prefixesForMessages}`, identifier.position);
  }
  return kind;
}

export function unknownAttribute(key: string, valid: Readonly<Record<string, string>>, position: number, fail: Fail): never {
  return fail(`Invalid attribute key '${key}' specified. Valid keys are '${pythonSet(Object.keys(valid).sort())}'`, position);
}

function resolveComparison(entity: SearchEntity, comparison: ComparisonNode): SearchClause {
  const { identifier, comparator, value } = comparison;
  const kind = identifierKind(entity, identifier, failFilter);
  const key = identifier.key;
  if (isPresenceComparator(comparator)) return resolvePresence(entity, kind, comparison, comparator);
  switch (kind) {
    case 'attribute':
      return resolveAttribute(entity, comparison);
    case 'metric': {
      const table = entity.metrics;
      if (table === undefined) return unsupportedKind(kind, identifier.position);
      if (value.type !== 'number') {
        return failFilter(`Expected numeric value type for metric. Found ${valueText(value)}`, value.position);
      }
      checkComparator(comparator, table.comparators, comparison);
      return { kind, key, comparator, value: Number(value.text) };
    }
    case 'param':
    case 'tag': {
      const table = kind === 'param' ? entity.params : entity.tags;
      if (table === undefined) return unsupportedKind(kind, identifier.position);
      if (value.type !== 'string') {
        return failFilter(`Expected a quoted string value for ${table.label} (e.g. 'my-value'). Got value ${valueText(value)}`, value.position);
      }
      checkComparator(comparator, table.comparators, comparison);
      return { kind, key, comparator, value: checkedPattern(comparator, value.value, value.position) };
    }
    case 'dataset':
      return resolveDataset(entity, comparison);
  }
}

/**
 * `tags.x IS NULL` / `IS NOT NULL`: whether the key is there at all. MLflow accepts them for run
 * tags and params (`SearchUtils.VALID_TAG_COMPARATORS`) and experiment tags
 * (`SearchExperimentsUtils`), nowhere else in these grammars; its messages are kept.
 */
function resolvePresence(entity: SearchEntity, kind: KeyKind, comparison: ComparisonNode, comparator: PresenceComparator): SearchClause {
  const { identifier } = comparison;
  const accepting = (['param', 'tag'] as const).filter((k) => (k === 'param' ? entity.params : entity.tags)?.comparators.includes(comparator));
  if (accepting.length === 0) {
    return failFilter(
      `IS NULL / IS NOT NULL is not supported for ${entity.name.replace(/_/gu, ' ').replace(/s$/u, '')} search.`,
      comparison.comparatorPosition,
    );
  }
  if (kind === 'param' || kind === 'tag') {
    if (accepting.includes(kind)) return { kind, key: identifier.key, comparator, value: null };
  }
  const allowed = accepting.length === 2 ? 'tags and params' : `${accepting[0]}s`;
  const subject = accepting.length === 2 ? `'${kind}' '${identifier.key}'` : `${kind} '${identifier.key}'`;
  return failFilter(`IS NULL / IS NOT NULL is only supported for ${allowed}, not for ${subject}`, identifier.position);
}

function unsupportedKind(kind: KeyKind, position: number): never {
  return failFilter(`Invalid search expression type '${kind}'`, position);
}

function resolveAttribute(entity: SearchEntity, comparison: ComparisonNode): AttributeClause {
  const { identifier, comparator, value } = comparison;
  const attribute = entity.filterableAttributes[identifier.key];
  const column = attribute === undefined ? undefined : entity.attributes[attribute];
  if (attribute === undefined || column === undefined) {
    return unknownAttribute(identifier.key, entity.filterableAttributes, identifier.position, failFilter);
  }
  if (column.type === 'bigint') {
    if (value.type !== 'number') {
      return failFilter(`Expected numeric value type for numeric attribute: ${identifier.key}. Found ${valueText(value)}`, value.position);
    }
    checkComparator(comparator, column.comparators, comparison);
    return { kind: 'attribute', attribute, comparator, value: toInt64(identifier.key, value.text, value.position) };
  }
  if (value.type === 'number') {
    return failFilter(`Expected a quoted string value for attributes. Got value ${value.text}`, value.position);
  }
  if (value.type === 'list' && !column.acceptsList) {
    return failFilter("Only the 'run_id' attribute supports comparison with a list of quoted string values.", value.position);
  }
  checkComparator(comparator, column.comparators, comparison);
  if (value.type === 'none') throw new Error('IS [NOT] NULL is resolved before attributes');
  const resolved = value.type === 'list' ? value.items.map((item) => item.value) : checkedPattern(comparator, value.value, value.position);
  return { kind: 'attribute', attribute, comparator, value: resolved };
}

function resolveDataset(entity: SearchEntity, comparison: ComparisonNode): DatasetClause {
  const { identifier, comparator, value } = comparison;
  const datasets = entity.datasets;
  if (datasets === undefined) return unsupportedKind('dataset', identifier.position);
  const field = identifier.key;
  if (!isDatasetField(field)) {
    return failFilter(`Invalid dataset key '${field}' specified. Valid keys are '${pythonSet(DATASET_FIELDS)}'`, identifier.position);
  }
  if (value.type === 'number') {
    return failFilter(`Expected a quoted string value for dataset attributes. Got value ${value.text}`, value.position);
  }
  checkComparator(comparator, datasets.comparators, comparison);
  if (value.type === 'none') throw new Error('IS [NOT] NULL is resolved before datasets');
  const resolved = value.type === 'list' ? value.items.map((item) => item.value) : checkedPattern(comparator, value.value, value.position);
  return { kind: 'dataset', field, comparator, value: resolved };
}

function checkComparator(comparator: Comparator, allowed: readonly Comparator[], comparison: ComparisonNode): void {
  if (!allowed.includes(comparator)) {
    failFilter(`Invalid comparator '${comparator}' not one of '${pythonSet(allowed)}'`, comparison.comparatorPosition);
  }
}

/**
 * Postgres LIKE treats `\` as its escape character (MLflow on Postgres inherits that, so
 * `'a\_b'` matches a literal underscore); a pattern ending in a lone backslash would make
 * Postgres raise an error, i.e. a 500. Reject it as the 400 it is.
 */
function checkedPattern(comparator: Comparator, value: string, position: number): string {
  if (comparator === 'LIKE' || comparator === 'ILIKE') {
    const trailing = /\\+$/u.exec(value)?.[0].length ?? 0;
    if (trailing % 2 === 1) {
      failFilter(`${comparator} pattern must not end with an unescaped backslash: '${value}'`, position);
    }
  }
  return value;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Numeric attributes (`start_time`, `creation_time`...) are int64 milliseconds. MLflow passes the
 * literal to the database untouched, so `start_time > 1.5` fails there with a 500; accept any
 * literal with an integral value (`1.7e12` included) and reject the rest as a 400.
 */
function toInt64(key: string, text: string, position: number): string {
  let value: bigint | undefined;
  if (/^-?\d+$/u.test(text)) {
    value = BigInt(text);
  } else {
    const number = Number(text);
    if (Number.isInteger(number)) value = BigInt(number);
  }
  if (value === undefined) {
    return failFilter(`Expected an integer value for numeric attribute: ${key}. Found ${text}`, position);
  }
  if (value < INT64_MIN || value > INT64_MAX) {
    return failFilter(`Value ${text} for numeric attribute ${key} is out of the 64-bit integer range`, position);
  }
  return value.toString();
}

/** The value as MLflow's messages print `token.value`: the source text, quotes included. */
function valueText(value: ValueNode): string {
  switch (value.type) {
    case 'number':
      return value.text;
    case 'string':
      return value.quote === 'single' ? `'${value.value}'` : `"${value.value}"`;
    case 'list':
      return `(${value.items.map(valueText).join(', ')})`;
    case 'none':
      return '';
  }
}
