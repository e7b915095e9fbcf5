import { KEY_PRESENCE_COMPARATORS, NUMERIC_COMPARATORS, STRING_COMPARATORS, type SearchEntity } from './descriptor';

/**
 * Experiments search over `tracking.experiments` aliased `e`, with MLflow's rules from
 * `SearchExperimentsUtils` and `SqlAlchemyStore._search_experiments`:
 * - only the prefixes `attribute`, `tag`, `tags` exist (not `attributes`: an MLflow quirk);
 * - filterable: `name` (= != LIKE ILIKE), `creation_time`, `last_update_time` (numeric);
 * - orderable: those plus `experiment_id`; no tag ordering;
 * - no order_by → `creation_time DESC, experiment_id ASC`; otherwise `experiment_id DESC` is
 *   appended unless present.
 *
 * Indexes the generated SQL expects: experiments PK(experiment_id),
 * (creation_time DESC, experiment_id); experiment_tags PK(experiment_id, key), (key, value).
 */
export const experimentsSearch: SearchEntity = {
  name: 'experiments',
  table: 'tracking.experiments',
  alias: 'e',
  prefixes: { attribute: 'attribute', tag: 'tag', tags: 'tag' },
  prefixesForMessages: "('attribute', 'tag', 'tags')",
  attributes: {
    experiment_id: {
      column: 'experiment_id',
      type: 'bigint',
      nullable: false,
      comparators: NUMERIC_COMPARATORS,
      acceptsList: false,
    },
    name: { column: 'name', type: 'text', nullable: false, comparators: STRING_COMPARATORS, acceptsList: false },
    creation_time: {
      column: 'creation_time',
      type: 'bigint',
      nullable: true,
      comparators: NUMERIC_COMPARATORS,
      acceptsList: false,
    },
    last_update_time: {
      column: 'last_update_time',
      type: 'bigint',
      nullable: true,
      comparators: NUMERIC_COMPARATORS,
      acceptsList: false,
    },
  },
  filterableAttributes: { name: 'name', creation_time: 'creation_time', last_update_time: 'last_update_time' },
  orderableAttributes: {
    name: 'name',
    experiment_id: 'experiment_id',
    creation_time: 'creation_time',
    last_update_time: 'last_update_time',
  },
  tags: {
    table: 'tracking.experiment_tags',
    alias: 't',
    owner: [['experiment_id', 'experiment_id']],
    keyColumn: 'key',
    valueColumn: 'value',
    valueType: 'text',
    comparators: KEY_PRESENCE_COMPARATORS,
    orderable: false,
    label: 'tag',
  },
  ordering: {
    whenEmpty: [
      { attribute: 'creation_time', ascending: false },
      { attribute: 'experiment_id', ascending: true },
    ],
    appendIfMissing: [{ attribute: 'experiment_id', ascending: false }],
    requestedNullsLast: false,
    rejectDuplicates: false,
    uniqueKey: ['experiment_id'],
  },
  // SEARCH_MAX_RESULTS_DEFAULT / MAX_EXPERIMENTS_LISTED_PER_PAGE.
  maxResults: { default: 1000, max: 50000 },
};
