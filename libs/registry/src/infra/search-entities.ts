import type { Comparator, SearchEntity } from '@cairn/search';

const NUMERIC: readonly Comparator[] = ['>', '>=', '!=', '=', '<', '<='];
const STRING: readonly Comparator[] = ['!=', '=', 'LIKE', 'ILIKE'];
const LIST: readonly Comparator[] = ['!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];

/**
 * `search_registered_models` (SearchModelUtils): filter on `name` and `tags.<key>`; order by
 * `name`, `creation_timestamp`, `last_updated_timestamp` (`timestamp` is the old alias of
 * creation); tie-break `name ASC`. Default 100 per page, at most 1000.
 */
export const registeredModelsSearch: SearchEntity = {
  name: 'registered_models',
  table: 'registry.registered_models',
  alias: 'rm',
  prefixes: { tags: 'tag', tag: 'tag', attribute: 'attribute', attributes: 'attribute' },
  prefixesForMessages: "('attribute', 'tag', 'tags')",
  attributes: {
    name: { column: 'name', type: 'text', nullable: false, comparators: STRING, acceptsList: false },
    creation_timestamp: { column: 'creation_timestamp', type: 'bigint', nullable: false, comparators: NUMERIC, acceptsList: false },
    last_updated_timestamp: { column: 'last_updated_timestamp', type: 'bigint', nullable: false, comparators: NUMERIC, acceptsList: false },
  },
  filterableAttributes: { name: 'name' },
  orderableAttributes: {
    name: 'name',
    creation_timestamp: 'creation_timestamp',
    timestamp: 'creation_timestamp',
    last_updated_timestamp: 'last_updated_timestamp',
  },
  tags: {
    table: 'registry.registered_model_tags',
    alias: 't',
    owner: [['model_id', 'model_id']],
    keyColumn: 'key',
    valueColumn: 'value',
    valueType: 'text',
    comparators: STRING,
    orderable: false,
    label: 'tag',
  },
  ordering: {
    whenEmpty: [{ attribute: 'name', ascending: true }],
    appendIfMissing: [{ attribute: 'name', ascending: true }],
    requestedNullsLast: false,
    rejectDuplicates: false,
    uniqueKey: ['name'],
  },
  maxResults: { default: 100, max: 1000 },
};

/**
 * `search_model_versions` (SearchModelVersionUtils): `name`, `version_number`, `run_id` (with
 * IN lists), `source_path`, `tags.<key>`; order by `name`, `version_number`, the timestamps;
 * tie-breaks `name ASC, version_number DESC`. Deleted versions are not rows at all.
 */
export const modelVersionsSearch: SearchEntity = {
  name: 'model_versions',
  table: 'registry.model_versions',
  alias: 'mv',
  prefixes: { tags: 'tag', tag: 'tag', attribute: 'attribute', attributes: 'attribute' },
  prefixesForMessages: "('attribute', 'tag', 'tags')",
  attributes: {
    name: { column: 'name', type: 'text', nullable: false, comparators: STRING, acceptsList: false },
    version_number: { column: 'version', type: 'bigint', nullable: false, comparators: NUMERIC, acceptsList: false },
    run_id: { column: 'run_id', type: 'text', nullable: true, comparators: LIST, acceptsList: true },
    source_path: { column: 'source', type: 'text', nullable: false, comparators: STRING, acceptsList: false },
    creation_timestamp: { column: 'creation_timestamp', type: 'bigint', nullable: false, comparators: NUMERIC, acceptsList: false },
    last_updated_timestamp: { column: 'last_updated_timestamp', type: 'bigint', nullable: false, comparators: NUMERIC, acceptsList: false },
  },
  filterableAttributes: { name: 'name', version_number: 'version_number', run_id: 'run_id', source_path: 'source_path' },
  orderableAttributes: {
    name: 'name',
    version_number: 'version_number',
    creation_timestamp: 'creation_timestamp',
    timestamp: 'creation_timestamp',
    last_updated_timestamp: 'last_updated_timestamp',
  },
  tags: {
    table: 'registry.model_version_tags',
    alias: 't',
    owner: [
      ['model_id', 'model_id'],
      ['version', 'version'],
    ],
    keyColumn: 'key',
    valueColumn: 'value',
    valueType: 'text',
    comparators: STRING,
    orderable: false,
    label: 'tag',
  },
  ordering: {
    whenEmpty: [
      { attribute: 'name', ascending: true },
      { attribute: 'version_number', ascending: false },
    ],
    appendIfMissing: [
      { attribute: 'name', ascending: true },
      { attribute: 'version_number', ascending: false },
    ],
    requestedNullsLast: false,
    rejectDuplicates: false,
    uniqueKey: ['name', 'version_number'],
  },
  maxResults: { default: 1000, max: 200_000 },
};
