import { invalidParameter, latestMetricOrderBySql } from '@cairn/contracts';

/**
 * Filter and order for `logged-models/search` (MLflow 3): clauses joined by AND over attributes
 * (`name`, `model_id`, `model_type`, `status`, `source_run_id`, `creation_timestamp`,
 * `last_updated_timestamp`), `metrics.<key>`, `params.<key>`, `tags.<key>`; `order_by` over
 * attributes and `metrics.<key>` (optionally on one dataset); `datasets` restricting metrics.
 * A metric means the model's latest value of it (`latestMetricOrderBySql`) among the points on the
 * requested datasets, for filters and ordering alike, as MLflow's SQL store
 * (`_get_latest_logged_model_metrics_subquery`). Compiled to SQL over `tracking.logged_models lm`;
 * user text only ever travels as bind parameters.
 */

type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE';
type ListOp = 'IN' | 'NOT IN';

const STRING_ATTRIBUTES: Record<string, string> = {
  name: 'name',
  model_id: 'model_id',
  model_type: 'model_type',
  status: 'status',
  source_run_id: 'source_run_id',
};
const NUMERIC_ATTRIBUTES: Record<string, string> = {
  creation_timestamp: 'creation_timestamp_ms',
  creation_time: 'creation_timestamp_ms',
  last_updated_timestamp: 'last_updated_timestamp_ms',
};
const STRING_OPS: readonly Op[] = ['=', '!=', 'LIKE', 'ILIKE'];
const NUMERIC_OPS: readonly Op[] = ['=', '!=', '<', '<=', '>', '>='];
const SQL_OP: Record<Op, string> = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=', LIKE: 'LIKE', ILIKE: 'ILIKE' };

// [entity.]key  op  'string' | "string" | number ; keys may be backticked.
const CLAUSE =
  /^\s*(?:(attributes?|metrics?|params?|tags?)\.)?(?:`([^`]+)`|([A-Za-z_][\w./-]*))\s*(<=|>=|!=|=|<|>|LIKE|ILIKE)\s*(?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?))\s*$/i;
// [entity.]key  IN | NOT IN  ('a', "b", ...): MLflow's SQL store takes lists for string attributes,
// params and tags (the UI asks for `attributes.model_id IN (...)`).
const LIST_CLAUSE =
  /^\s*(?:(attributes?|params?|tags?)\.)?(?:`([^`]+)`|([A-Za-z_][\w./-]*))\s+(NOT\s+IN|IN)\s*\(((?:\s*(?:'[^']*'|"[^"]*")\s*,)*\s*(?:'[^']*'|"[^"]*")\s*)\)\s*$/i;
const LIST_ITEM = /'([^']*)'|"([^"]*)"/g;

export interface CompiledLoggedModelSearch {
  where: string[];
  params: unknown[];
  orderBy: string;
}

function splitAnd(filter: string): string[] {
  // AND outside quotes only.
  const parts: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (let i = 0; i < filter.length; i++) {
    const ch = filter[i] ?? '';
    if (quote) {
      if (ch === quote) quote = null;
      current += ch;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') {
      quote = ch;
      current += ch;
      continue;
    }
    if (/^\s+AND\s+/i.test(filter.slice(i)) && /\s/.test(ch)) {
      const match = /^\s+AND\s+/i.exec(filter.slice(i));
      parts.push(current);
      current = '';
      i += (match?.[0].length ?? 1) - 1;
      continue;
    }
    current += ch;
  }
  parts.push(current);
  return parts;
}

/** `key IN (...)` / `key NOT IN (...)` on a string attribute, a param or a tag. */
function listClause(m: RegExpExecArray, bind: (value: unknown) => string): string {
  const entity = (m[1] ?? 'attribute').toLowerCase().replace(/s$/, '');
  const key = m[2] ?? m[3] ?? '';
  const op: ListOp = /^NOT/i.test(m[4] ?? '') ? 'NOT IN' : 'IN';
  const items = [...(m[5] ?? '').matchAll(LIST_ITEM)].map((item) => item[1] ?? item[2] ?? '');
  const test = (column: string) => (op === 'IN' ? `${column} = ANY(${bind(items)}::text[])` : `${column} <> ALL(${bind(items)}::text[])`);
  if (entity === 'param' || entity === 'tag') {
    const table = entity === 'param' ? 'tracking.logged_model_params' : 'tracking.logged_model_tags';
    return `EXISTS (SELECT 1 FROM ${table} x WHERE x.model_id = lm.model_id AND x.key = ${bind(key)} AND ${test('x.value')})`;
  }
  const column = STRING_ATTRIBUTES[key];
  if (column !== undefined) return test(`lm.${column}`);
  if (NUMERIC_ATTRIBUTES[key] !== undefined) throw invalidParameter(`Attribute '${key}' compares with a number, not a list.`);
  throw invalidParameter(`Invalid attribute key '${key}' for logged models.`);
}

export interface DatasetFilter {
  dataset_name: string;
  dataset_digest?: string | undefined;
}

export interface LoggedModelOrder {
  field_name: string;
  ascending: boolean;
  dataset_name?: string | undefined;
  dataset_digest?: string | undefined;
}

/** Compiles the request; `firstParam` is the first `$n` free for this search. */
export function compileLoggedModelSearch(
  filter: string | undefined,
  orderBy: LoggedModelOrder[],
  firstParam: number,
  datasets: DatasetFilter[] = [],
): CompiledLoggedModelSearch {
  const where: string[] = [];
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return `$${firstParam + params.length - 1}`;
  };
  if (datasets.some((d) => !d.dataset_name)) throw invalidParameter('`dataset_name` in the `datasets` clause must be specified.');
  const onDatasets = (list: DatasetFilter[]) =>
    list.length === 0
      ? []
      : [
          `(${list.map((d) => (d.dataset_digest === undefined ? `x.dataset_name = ${bind(d.dataset_name)}` : `(x.dataset_name = ${bind(d.dataset_name)} AND x.dataset_digest = ${bind(d.dataset_digest)})`)).join(' OR ')})`,
        ];
  /** The model's latest value of `key` on the given datasets; NULL if none (or NaN). */
  const latestMetric = (key: string, restrictions: string[]) =>
    `(SELECT CASE WHEN x.is_nan THEN NULL ELSE x.value END FROM tracking.logged_model_metrics x
      WHERE ${['x.model_id = lm.model_id', `x.key = ${bind(key)}`, ...restrictions].join(' AND ')}
      ORDER BY ${latestMetricOrderBySql('x', 'DESC')} LIMIT 1)`;
  let metricFilters = 0;
  if (filter && filter.trim() !== '') {
    for (const part of splitAnd(filter)) {
      const list = LIST_CLAUSE.exec(part);
      if (list) {
        where.push(listClause(list, bind));
        continue;
      }
      const m = CLAUSE.exec(part);
      if (!m) throw invalidParameter(`Invalid filter clause for logged models: ${JSON.stringify(part.trim())}`);
      const entity = (m[1] ?? 'attribute').toLowerCase().replace(/s$/, '');
      const key = m[2] ?? m[3] ?? '';
      const op = (m[4] ?? '').toUpperCase() as Op;
      const text = m[5] ?? m[6];
      const number = m[7] !== undefined ? Number(m[7]) : undefined;
      if (entity === 'metric') {
        if (number === undefined || !NUMERIC_OPS.includes(op))
          throw invalidParameter(`Metric clauses need a numeric comparison: ${JSON.stringify(part.trim())}`);
        metricFilters++;
        where.push(`${latestMetric(key, onDatasets(datasets))} ${SQL_OP[op]} ${bind(number)}::float8`);
      } else if (entity === 'param' || entity === 'tag') {
        if (text === undefined || !STRING_OPS.includes(op))
          throw invalidParameter(`${entity} clauses compare with a quoted string: ${JSON.stringify(part.trim())}`);
        const table = entity === 'param' ? 'tracking.logged_model_params' : 'tracking.logged_model_tags';
        where.push(`EXISTS (SELECT 1 FROM ${table} x WHERE x.model_id = lm.model_id AND x.key = ${bind(key)} AND x.value ${SQL_OP[op]} ${bind(text)})`);
      } else if (STRING_ATTRIBUTES[key] !== undefined) {
        if (text === undefined || !STRING_OPS.includes(op)) throw invalidParameter(`Attribute '${key}' compares with a quoted string.`);
        where.push(`lm.${STRING_ATTRIBUTES[key]} ${SQL_OP[op]} ${bind(text)}`);
      } else if (NUMERIC_ATTRIBUTES[key] !== undefined) {
        if (number === undefined || !NUMERIC_OPS.includes(op)) throw invalidParameter(`Attribute '${key}' compares with a number.`);
        where.push(`lm.${NUMERIC_ATTRIBUTES[key]} ${SQL_OP[op]} ${bind(number)}::float8`);
      } else {
        throw invalidParameter(`Invalid attribute key '${key}' for logged models.`);
      }
    }
  }
  // Datasets without a metric filter: the models that have any metric on those datasets.
  if (datasets.length > 0 && metricFilters === 0) {
    where.push(`EXISTS (SELECT 1 FROM tracking.logged_model_metrics x WHERE x.model_id = lm.model_id AND ${onDatasets(datasets).join('')})`);
  }
  const terms = orderBy.map((o) => {
    if (o.field_name.startsWith('metrics.')) {
      const restrictions = onDatasets(datasets);
      if (o.dataset_name) restrictions.push(`x.dataset_name = ${bind(o.dataset_name)}`);
      if (o.dataset_digest) restrictions.push(`x.dataset_digest = ${bind(o.dataset_digest)}`);
      return `${latestMetric(o.field_name.slice('metrics.'.length), restrictions)} ${o.ascending ? 'ASC' : 'DESC'} NULLS LAST`;
    }
    if (o.field_name.includes('.')) throw invalidParameter(`Invalid order by field name: ${o.field_name}. Only metrics are supported.`);
    const column = STRING_ATTRIBUTES[o.field_name] ?? NUMERIC_ATTRIBUTES[o.field_name];
    if (column === undefined) throw invalidParameter(`Invalid order_by field_name '${o.field_name}' for logged models.`);
    return `lm.${column} ${o.ascending ? 'ASC' : 'DESC'} NULLS LAST`;
  });
  // Newest first by default; model_id makes the order total for offset pages.
  return { where, params, orderBy: [...terms, 'lm.creation_timestamp_ms DESC', 'lm.model_id'].join(', ') };
}
