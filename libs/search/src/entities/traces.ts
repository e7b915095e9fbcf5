import { LIST_COMPARATORS, NUMERIC_COMPARATORS, STRING_COMPARATORS, type AttributeColumn, type SearchEntity } from './descriptor';

const text = (column: string, nullable: boolean): AttributeColumn => ({ column, type: 'text', nullable, comparators: LIST_COMPARATORS, acceptsList: true });
const millis = (column: string, nullable: boolean): AttributeColumn => ({
  column,
  type: 'bigint',
  nullable,
  comparators: NUMERIC_COMPARATORS,
  acceptsList: false,
});

/**
 * MLflow 3 trace search (`SearchTracesV3`) over `tracking.traces` aliased `tr`, with the rules of
 * MLflow's `SearchTraceUtils` and `SqlAlchemyStore.search_traces`:
 * - prefixes `attribute(s)`/`trace`, `tag(s)`, `metadata`/`request_metadata`; a bare name is an
 *   attribute. Request metadata is the descriptor's `params` table (same shape: key, text value);
 * - attributes `trace_id`/`request_id`, `timestamp_ms`/`timestamp`, `execution_time_ms`/
 *   `execution_time`, `status`/`state`, `client_request_id` and `run_id` (MLflow reads it from the
 *   `mlflow.sourceRun` metadata; the read model keeps that value in a column);
 * - no order_by → `timestamp_ms DESC, trace_id ASC`; `trace_id` ends every order (keyset pages).
 *
 * Not searchable here (MLflow's SQL store has them): `name` (the `mlflow.traceName` tag: filter on
 * `tags.mlflow.traceName`), `end_time_ms`, span, feedback and expectation filters.
 *
 * Indexes: traces(experiment_id, request_time DESC, trace_id); trace_tags and trace_metadata
 * PK(trace_id, key), (key), hash (value).
 */
export const tracesSearch: SearchEntity = {
  name: 'traces',
  table: 'tracking.traces',
  alias: 'tr',
  prefixes: {
    attribute: 'attribute',
    attributes: 'attribute',
    trace: 'attribute',
    tag: 'tag',
    tags: 'tag',
    metadata: 'param',
    request_metadata: 'param',
  },
  prefixesForMessages: "['attribute', 'tag', 'request_metadata']",
  attributes: {
    trace_id: text('trace_id', false),
    timestamp_ms: millis('request_time', false),
    execution_time_ms: millis('execution_duration', true),
    status: text('state', false),
    client_request_id: text('client_request_id', true),
    run_id: text('run_id', true),
  },
  filterableAttributes: {
    trace_id: 'trace_id',
    request_id: 'trace_id',
    timestamp_ms: 'timestamp_ms',
    timestamp: 'timestamp_ms',
    execution_time_ms: 'execution_time_ms',
    execution_time: 'execution_time_ms',
    status: 'status',
    state: 'status',
    client_request_id: 'client_request_id',
    run_id: 'run_id',
  },
  orderableAttributes: {
    trace_id: 'trace_id',
    request_id: 'trace_id',
    timestamp_ms: 'timestamp_ms',
    timestamp: 'timestamp_ms',
    execution_time_ms: 'execution_time_ms',
    execution_time: 'execution_time_ms',
    status: 'status',
    run_id: 'run_id',
  },
  params: {
    table: 'tracking.trace_metadata',
    alias: 'md',
    owner: [['trace_id', 'trace_id']],
    keyColumn: 'key',
    valueColumn: 'value',
    valueType: 'text',
    comparators: STRING_COMPARATORS,
    orderable: true,
    label: 'request metadata',
  },
  tags: {
    table: 'tracking.trace_tags',
    alias: 'tt',
    owner: [['trace_id', 'trace_id']],
    keyColumn: 'key',
    valueColumn: 'value',
    valueType: 'text',
    comparators: STRING_COMPARATORS,
    orderable: true,
    label: 'tag',
  },
  ordering: {
    whenEmpty: [
      { attribute: 'timestamp_ms', ascending: false },
      { attribute: 'trace_id', ascending: true },
    ],
    appendIfMissing: [
      { attribute: 'timestamp_ms', ascending: false },
      { attribute: 'trace_id', ascending: true },
    ],
    requestedNullsLast: true,
    rejectDuplicates: false,
    uniqueKey: ['trace_id'],
  },
  // SEARCH_TRACES_DEFAULT_MAX_RESULTS; MLflow's SQL store caps a page at 500 as well.
  maxResults: { default: 100, max: 500 },
};
