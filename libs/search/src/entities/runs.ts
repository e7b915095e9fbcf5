import { KEY_PRESENCE_COMPARATORS, LIST_COMPARATORS, NUMERIC_COMPARATORS, type AttributeColumn, type SearchEntity } from './descriptor';

const text = (column: string, nullable: boolean, acceptsList = false): AttributeColumn => ({
  column,
  type: 'text',
  nullable,
  comparators: LIST_COMPARATORS,
  acceptsList,
});
const time = (column: string, nullable: boolean): AttributeColumn => ({
  column,
  type: 'bigint',
  nullable,
  comparators: NUMERIC_COMPARATORS,
  acceptsList: false,
});

/**
 * Runs search over the tracking read model (`tracking.runs` aliased `r`), with MLflow's rules
 * from `SearchUtils` and `SqlAlchemyStore._search_runs`:
 * - prefixes `metric(s)`, `param(s)`/`parameter(s)`, `tag(s)`, `attribute(s)`/`attr`/`run`,
 *   `dataset(s)`; a name without a prefix is an attribute;
 * - searchable attributes are `RunInfo.get_searchable_attributes()` plus the aliases
 *   `created`/`Created` (→ start_time) and `run name`/`Run name`/`Run Name` (→ run_name);
 *   `lifecycle_stage` is deliberately absent (run_view_type controls it, as in MLflow);
 * - the order always ends `start_time DESC` (unless sorted on already) then `run_id ASC`.
 *
 * Indexes the generated SQL expects (the tracking lib owns the DDL):
 *   runs(experiment_id, start_time DESC, run_uuid)   default order + keyset pages
 *   latest_metrics PK(run_uuid, key), (key, value)    metric filters / sort joins
 *   params PK(run_uuid, key), (key, value);  tags PK(run_uuid, key), (key, value)
 *   inputs(destination_type, destination_id);  input_tags PK(input_uuid, name)
 */
export const runsSearch: SearchEntity = {
  name: 'runs',
  table: 'tracking.runs',
  alias: 'r',
  prefixes: {
    metric: 'metric',
    metrics: 'metric',
    parameter: 'param',
    parameters: 'param',
    param: 'param',
    params: 'param',
    tag: 'tag',
    tags: 'tag',
    attribute: 'attribute',
    attributes: 'attribute',
    attr: 'attribute',
    run: 'attribute',
    dataset: 'dataset',
    datasets: 'dataset',
  },
  prefixesForMessages: "['metric', 'parameter', 'tag', 'attribute', 'dataset']",
  attributes: {
    run_id: text('run_uuid', false, true),
    run_name: text('name', true),
    user_id: text('user_id', true),
    status: text('status', false),
    artifact_uri: text('artifact_uri', true),
    start_time: time('start_time', true),
    end_time: time('end_time', true),
  },
  filterableAttributes: {
    artifact_uri: 'artifact_uri',
    end_time: 'end_time',
    run_id: 'run_id',
    run_name: 'run_name',
    start_time: 'start_time',
    status: 'status',
    user_id: 'user_id',
    created: 'start_time',
    Created: 'start_time',
    'run name': 'run_name',
    'Run name': 'run_name',
    'Run Name': 'run_name',
  },
  // RunInfo.get_orderable_attributes() + created/Created; the "run name" aliases are filter-only.
  orderableAttributes: {
    artifact_uri: 'artifact_uri',
    end_time: 'end_time',
    run_id: 'run_id',
    run_name: 'run_name',
    start_time: 'start_time',
    status: 'status',
    user_id: 'user_id',
    created: 'start_time',
    Created: 'start_time',
  },
  metrics: {
    table: 'tracking.latest_metrics',
    alias: 'm',
    owner: [['run_uuid', 'run_uuid']],
    keyColumn: 'key',
    valueColumn: 'value',
    valueType: 'double precision',
    nanColumn: 'is_nan',
    comparators: NUMERIC_COMPARATORS,
    orderable: true,
    label: 'metric',
  },
  params: {
    table: 'tracking.params',
    alias: 'p',
    owner: [['run_uuid', 'run_uuid']],
    keyColumn: 'key',
    valueColumn: 'value',
    valueType: 'text',
    comparators: KEY_PRESENCE_COMPARATORS,
    orderable: true,
    label: 'parameter',
  },
  tags: {
    table: 'tracking.tags',
    alias: 't',
    owner: [['run_uuid', 'run_uuid']],
    keyColumn: 'key',
    valueColumn: 'value',
    valueType: 'text',
    comparators: KEY_PRESENCE_COMPARATORS,
    orderable: true,
    label: 'tag',
  },
  datasets: {
    datasets: 'tracking.datasets',
    inputs: 'tracking.inputs',
    inputTags: 'tracking.input_tags',
    contextTag: 'mlflow.data.context',
    ownerColumn: 'run_uuid',
    sourceType: 'DATASET',
    destinationType: 'RUN',
    comparators: LIST_COMPARATORS,
  },
  ordering: {
    whenEmpty: [],
    appendIfMissing: [
      { attribute: 'start_time', ascending: false },
      { attribute: 'run_id', ascending: true },
    ],
    requestedNullsLast: true,
    rejectDuplicates: true,
    uniqueKey: ['run_id'],
  },
  // SEARCH_MAX_RESULTS_DEFAULT / SEARCH_MAX_RESULTS_THRESHOLD (mlflow/store/tracking/__init__.py).
  maxResults: { default: 1000, max: 50000 },
};
