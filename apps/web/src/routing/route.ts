import { X_AXES, type XAxis } from '../charts/series';

/**
 * The UI's pages and their state, as hash URLs. MLflow's UI uses hash URLs too, and the links it
 * taught people keep working: the mlflow client prints `<tracking_uri>/#/experiments/<id>/runs/<run_id>`
 * after every run, and `#/models/<name>/versions/<v>` is what people paste.
 */
export type Route =
  | { page: 'experiments'; search: string; view: LifecycleView; token: string }
  | { page: 'runs'; experimentId: string; runs: RunsViewState }
  | { page: 'run'; experimentId: string; runId: string; tab: RunTab; artifact: string }
  | { page: 'compare'; experimentIds: string[]; runIds: string[]; metric: string; axis: XAxis; smoothing: number }
  | { page: 'models'; search: string; token: string }
  | { page: 'webhooks' }
  | { page: 'operations' }
  | { page: 'webhook'; webhookId: string; delivery: string }
  | { page: 'model'; name: string; version: string }
  | { page: 'not-found'; hash: string };

export type LifecycleView = 'active' | 'deleted';
export type { XAxis };
export const RUN_TABS = ['overview', 'params', 'metrics', 'tags', 'artifacts', 'models', 'history'] as const;
export type RunTab = (typeof RUN_TABS)[number];

/** What a runs table shows: shareable, so all of it lives in the URL. */
export interface RunsViewState {
  filter: string;
  /** An MLflow order_by clause, e.g. `metrics.loss ASC` or `attributes.start_time DESC`. */
  orderBy: string;
  /** Extra columns, as `metrics.<key>`, `params.<key>` or `tags.<key>`. */
  columns: string[];
  view: LifecycleView;
  /** The page token of the page shown ('' for the first). */
  token: string;
}

export const DEFAULT_RUNS_VIEW: RunsViewState = { filter: '', orderBy: 'attributes.start_time DESC', columns: [], view: 'active', token: '' };

const segment = (s: string) => encodeURIComponent(s);

/** Parses `location.hash` (with or without the leading `#`). */
export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const [pathPart = '', queryPart = ''] = splitOnce(raw, '?');
  const query = new URLSearchParams(queryPart);
  let parts: string[];
  try {
    parts = pathPart
      .split('/')
      .filter((p) => p !== '')
      .map((p) => decodeURIComponent(p));
  } catch {
    return { page: 'not-found', hash: raw };
  }
  const [first, second, third, fourth, fifth, ...rest] = parts;
  const view = (v: string | null): LifecycleView => (v === 'deleted' ? 'deleted' : 'active');
  if (first === undefined || (first === 'experiments' && second === undefined)) {
    return { page: 'experiments', search: query.get('q') ?? '', view: view(query.get('view')), token: query.get('page') ?? '' };
  }
  if (first === 'experiments' && second !== undefined) {
    if (third === undefined || (third === 'runs' && fourth === undefined)) return { page: 'runs', experimentId: second, runs: parseRunsView(query) };
    if (third === 'runs' && fourth !== undefined) {
      // MLflow's own deep links into a run's artifacts: `…/runs/<id>/artifactPath/<path…>`.
      const artifactLink = fifth === 'artifactPath' || fifth === 'artifacts' ? rest.join('/') : undefined;
      const tab = artifactLink !== undefined ? 'artifacts' : runTab(query.get('tab'));
      return { page: 'run', experimentId: second, runId: fourth, tab, artifact: artifactLink ?? query.get('artifact') ?? '' };
    }
  }
  // MLflow's compare link: `#/compare-runs?runs=["a","b"]&experiments=["1"]` (JSON arrays).
  if (first === 'compare-runs' && second === undefined) {
    return {
      page: 'compare',
      runIds: jsonList(query.get('runs')),
      experimentIds: jsonList(query.get('experiments')),
      metric: query.get('metric') ?? '',
      axis: (X_AXES as readonly string[]).includes(query.get('x') ?? '') ? (query.get('x') as XAxis) : 'step',
      smoothing: smoothingOf(query.get('smooth')),
    };
  }
  if (first === 'operations' && second === undefined) return { page: 'operations' };
  if (first === 'webhooks') {
    if (second === undefined) return { page: 'webhooks' };
    if (third === undefined) return { page: 'webhook', webhookId: second, delivery: query.get('delivery') ?? '' };
  }
  if (first === 'models') {
    if (second === undefined) return { page: 'models', search: query.get('q') ?? '', token: query.get('page') ?? '' };
    if (third === undefined) return { page: 'model', name: second, version: '' };
    if (third === 'versions' && fourth !== undefined && fifth === undefined) return { page: 'model', name: second, version: fourth };
  }
  return { page: 'not-found', hash: raw };
}

/** The hash (with `#`) that opens a route; `parseHash(formatHash(r))` gives `r` back. */
export function formatHash(route: Route): string {
  switch (route.page) {
    case 'experiments':
      return withQuery('#/experiments', { q: route.search, view: route.view === 'deleted' ? 'deleted' : '', page: route.token });
    case 'runs':
      return withQuery(`#/experiments/${segment(route.experimentId)}`, runsViewQuery(route.runs));
    case 'run':
      return withQuery(`#/experiments/${segment(route.experimentId)}/runs/${segment(route.runId)}`, {
        tab: route.tab === 'overview' ? '' : route.tab,
        artifact: route.artifact,
      });
    case 'compare':
      return withQuery('#/compare-runs', {
        runs: JSON.stringify(route.runIds),
        experiments: JSON.stringify(route.experimentIds),
        metric: route.metric,
        x: route.axis === 'step' ? '' : route.axis,
        smooth: route.smoothing === 0 ? '' : String(route.smoothing),
      });
    case 'models':
      return withQuery('#/models', { q: route.search, page: route.token });
    case 'webhooks':
      return '#/webhooks';
    case 'operations':
      return '#/operations';
    case 'webhook':
      return withQuery(`#/webhooks/${segment(route.webhookId)}`, { delivery: route.delivery });
    case 'model':
      return route.version === '' ? `#/models/${segment(route.name)}` : `#/models/${segment(route.name)}/versions/${segment(route.version)}`;
    case 'not-found':
      return `#${route.hash}`;
  }
}

function parseRunsView(query: URLSearchParams): RunsViewState {
  const columns = (query.get('cols') ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  return {
    filter: query.get('filter') ?? '',
    orderBy: query.get('order') ?? DEFAULT_RUNS_VIEW.orderBy,
    columns: [...new Set(columns)],
    view: query.get('view') === 'deleted' ? 'deleted' : 'active',
    token: query.get('page') ?? '',
  };
}

function runsViewQuery(state: RunsViewState): Record<string, string> {
  return {
    filter: state.filter,
    order: state.orderBy === DEFAULT_RUNS_VIEW.orderBy ? '' : state.orderBy,
    // Keys may contain commas in theory; MLflow's own UI makes the same trade-off for readable URLs.
    cols: state.columns.join(','),
    view: state.view === 'deleted' ? 'deleted' : '',
    page: state.token,
  };
}

function jsonList(value: string | null): string[] {
  try {
    const parsed: unknown = JSON.parse(value ?? '[]');
    return Array.isArray(parsed) ? [...new Set(parsed.filter((v): v is string => typeof v === 'string'))] : [];
  } catch {
    return [];
  }
}

/** The EMA weight of the compare chart: 0 (raw) to 0.99, two decimals. */
function smoothingOf(value: string | null): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? Math.round(Math.min(0.99, Math.max(0, n)) * 100) / 100 : 0;
}

function runTab(value: string | null): RunTab {
  return (RUN_TABS as readonly string[]).includes(value ?? '') ? (value as RunTab) : 'overview';
}

function withQuery(path: string, params: Record<string, string>): string {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '')).toString();
  return query === '' ? path : `${path}?${query}`;
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}
