import type {
  CreateExperimentResponse,
  Experiment,
  GetExperimentResponse,
  GetMetricHistoryBulkIntervalResponse,
  GetModelVersionResponse,
  GetRegisteredModelResponse,
  GcResult,
  GetCairnWebhookResponse,
  GetRunResponse,
  GetWebhookDeliveryResponse,
  ListWebhookDeliveriesResponse,
  ListWebhooksResponse,
  TestWebhookResponse,
  ListArtifactsResponse,
  ModelAsOf,
  ReapOrphansResult,
  ModelHistory,
  ModelVersionLineage,
  PromoteRequest,
  PromotionDecision,
  ModelStage,
  SearchExperimentsResponse,
  SearchLoggedModelsResponse,
  SearchModelVersionsResponse,
  SearchRegisteredModelsResponse,
  RunHistoryResponse,
  SearchRunsResponse,
  ViewType,
} from '@cairn/contracts';
import type { HistoryRequest } from '../charts/history-window';
import type { LifecycleView } from '../routing/route';
import { api } from './client';

const MLFLOW = 'api/2.0/mlflow';
const CAIRN = 'api/2.0/cairn';
export const RUNS_PAGE_SIZE = 100;
export const EXPERIMENTS_PAGE_SIZE = 50;

const viewType = (view: LifecycleView): ViewType => (view === 'deleted' ? 'DELETED_ONLY' : 'ACTIVE_ONLY');

/** A string literal of the MLflow search grammar (single quotes unless the text has one). */
export function literal(text: string): string {
  return text.includes("'") ? `"${text}"` : `'${text}'`;
}

/** A search box entry becomes MLflow's experiment filter: plain text matches names (case-insensitive). */
export function experimentFilter(search: string): string | undefined {
  const text = search.trim();
  if (text === '') return undefined;
  // Someone who typed a filter expression (name LIKE …, tags.x = …) means it as one.
  if (/^(name|tags\.|tag\.|attribute|creation_time|last_update_time)\b|[=<>]|\bLIKE\b/i.test(text)) return text;
  return `name ILIKE ${literal(`%${text}%`)}`;
}

export const experiments = {
  search: (search: string, view: LifecycleView, token: string) =>
    api.post<SearchExperimentsResponse>(`${MLFLOW}/experiments/search`, {
      max_results: EXPERIMENTS_PAGE_SIZE,
      view_type: viewType(view),
      order_by: ['last_update_time DESC'],
      ...(experimentFilter(search) !== undefined ? { filter: experimentFilter(search) } : {}),
      ...(token !== '' ? { page_token: token } : {}),
    }),
  get: (id: string) => api.get<GetExperimentResponse>(`${MLFLOW}/experiments/get`, { experiment_id: id }),
  create: (name: string) => api.post<CreateExperimentResponse>(`${MLFLOW}/experiments/create`, { name }),
  rename: (id: string, newName: string) => api.post<object>(`${MLFLOW}/experiments/update`, { experiment_id: id, new_name: newName }),
  delete: (id: string) => api.post<object>(`${MLFLOW}/experiments/delete`, { experiment_id: id }),
  restore: (id: string) => api.post<object>(`${MLFLOW}/experiments/restore`, { experiment_id: id }),
  setTag: (id: string, key: string, value: string) => api.post<object>(`${MLFLOW}/experiments/set-experiment-tag`, { experiment_id: id, key, value }),
  deleteTag: (id: string, key: string) => api.post<object>(`${MLFLOW}/experiments/delete-experiment-tag`, { experiment_id: id, key }),
};

export type { Experiment };

export const runs = {
  search: (experimentId: string, filter: string, orderBy: string, view: LifecycleView, token: string) =>
    api.post<SearchRunsResponse>(`${MLFLOW}/runs/search`, {
      experiment_ids: [experimentId],
      max_results: RUNS_PAGE_SIZE,
      run_view_type: viewType(view),
      ...(filter.trim() !== '' ? { filter } : {}),
      ...(orderBy.trim() !== '' ? { order_by: [orderBy] } : {}),
      ...(token !== '' ? { page_token: token } : {}),
    }),
  /** A run's child runs (the parent's tag, as MLflow's UI finds them). */
  children: (experimentId: string, parentRunId: string) =>
    api.post<SearchRunsResponse>(`${MLFLOW}/runs/search`, {
      experiment_ids: [experimentId],
      max_results: RUNS_PAGE_SIZE,
      filter: `tags.mlflow.parentRunId = ${literal(parentRunId)}`,
    }),
  get: (runId: string) => api.get<GetRunResponse>(`${MLFLOW}/runs/get`, { run_id: runId }),
  /** Runs by id, in one search (`attributes.run_id IN (…)`), as MLflow's compare page loads them. */
  byIds: (experimentIds: string[], runIds: string[]) =>
    api.post<SearchRunsResponse>(`${MLFLOW}/runs/search`, {
      experiment_ids: experimentIds,
      max_results: Math.max(1, Math.min(1000, runIds.length)),
      filter: `attributes.run_id IN (${runIds.map(literal).join(', ')})`,
    }),
  /** MLflow 3's logged models whose source is the run. */
  loggedModels: (experimentId: string, runId: string) =>
    api.post<SearchLoggedModelsResponse>(`${MLFLOW}/logged-models/search`, {
      experiment_ids: [experimentId],
      filter: `source_run_id = ${literal(runId)}`,
      max_results: 100,
    }),
  /** The run's changes, newest first (Cairn's audit trail from the run's event stream). */
  changes: (runId: string, includeMetrics: boolean, token: string) =>
    api.get<RunHistoryResponse>(`${CAIRN}/runs/history`, {
      run_id: runId,
      max_results: 100,
      include_metrics: String(includeMetrics),
      ...(token !== '' ? { page_token: token } : {}),
    }),
  setTag: (runId: string, key: string, value: string) => api.post<object>(`${MLFLOW}/runs/set-tag`, { run_id: runId, key, value }),
  deleteTag: (runId: string, key: string) => api.post<object>(`${MLFLOW}/runs/delete-tag`, { run_id: runId, key }),
  history: (runId: string, key: string, window: HistoryRequest) =>
    api.get<GetMetricHistoryBulkIntervalResponse>(`${MLFLOW}/metrics/get-history-bulk-interval`, { run_ids: [runId], metric_key: key, ...window }),
  /** Several runs' histories of one metric (at most 100 runs per request, the server's limit). */
  histories: (runIds: string[], key: string, window: HistoryRequest) =>
    api.get<GetMetricHistoryBulkIntervalResponse>(`${MLFLOW}/metrics/get-history-bulk-interval`, { run_ids: runIds, metric_key: key, ...window }),
};

export const artifacts = {
  list: (runId: string, path: string) => api.get<ListArtifactsResponse>(`${MLFLOW}/artifacts/list`, { run_id: runId, ...(path !== '' ? { path } : {}) }),
  /** The download URL MLflow's UI uses (served at the root, not under /api). */
  url: (runId: string, path: string) => api.url('get-artifact', { path, run_uuid: runId }),
  fetch: (runId: string, path: string) => api.blob('get-artifact', { path, run_uuid: runId }),
};

export const models = {
  search: (search: string, token: string) =>
    api.get<SearchRegisteredModelsResponse>(`${MLFLOW}/registered-models/search`, {
      max_results: EXPERIMENTS_PAGE_SIZE,
      ...(search.trim() !== '' ? { filter: `name ILIKE ${literal(`%${search.trim()}%`)}` } : {}),
      ...(token !== '' ? { page_token: token } : {}),
    }),
  get: (name: string) => api.get<GetRegisteredModelResponse>(`${MLFLOW}/registered-models/get`, { name }),
  versions: (name: string) =>
    api.get<SearchModelVersionsResponse>(`${MLFLOW}/model-versions/search`, {
      filter: `name = ${literal(name)}`,
      max_results: 200,
      order_by: ['version_number DESC'],
    }),
  version: (name: string, version: string) => api.get<GetModelVersionResponse>(`${MLFLOW}/model-versions/get`, { name, version }),
  setAlias: (name: string, alias: string, version: string) => api.post<object>(`${MLFLOW}/registered-models/alias`, { name, alias, version }),
  deleteAlias: (name: string, alias: string) => api.delete<object>(`${MLFLOW}/registered-models/alias`, { name, alias }),
  /** Champion/challenger on the runs' final metric: the server decides, and says why. */
  promote: (request: PromoteRequest) => api.post<PromotionDecision>(`${CAIRN}/registered-models/promote`, request),
  lineage: (name: string, version: string) => api.get<ModelVersionLineage>(`${CAIRN}/model-versions/lineage`, { name, version }),
  history: (name: string) => api.get<ModelHistory>(`${CAIRN}/registered-models/history`, { name }),
  /** The model as it stood at an instant (epoch ms): which version held each alias, and each version's stage. */
  asOf: (name: string, at: number) => api.get<ModelAsOf>(`${CAIRN}/registered-models/as-of`, { name, as_of: String(at) }),
  transitionStage: (name: string, version: string, stage: ModelStage) =>
    api.post<object>(`${MLFLOW}/model-versions/transition-stage`, { name, version, stage, archive_existing_versions: false }),
};

export const webhooks = {
  list: () => api.get<ListWebhooksResponse>(`${MLFLOW}/webhooks`, { max_results: 100 }),
  /** Cairn's view: every event and the endpoint's health (consecutive failures, last success). */
  get: (id: string) => api.get<GetCairnWebhookResponse>(`${CAIRN}/webhooks/get`, { webhook_id: id }),
  deliveries: (id: string) => api.get<ListWebhookDeliveriesResponse>(`${CAIRN}/webhooks/deliveries`, { webhook_id: id, max_results: 100 }),
  delivery: (deliveryId: string) => api.get<GetWebhookDeliveryResponse>(`${CAIRN}/webhooks/deliveries/get`, { delivery_id: deliveryId }),
  redeliver: (deliveryId: string) => api.post<GetWebhookDeliveryResponse>(`${CAIRN}/webhooks/deliveries/redeliver`, { delivery_id: deliveryId }),
  test: (id: string) => api.post<TestWebhookResponse>(`${MLFLOW}/webhooks/${encodeURIComponent(id)}/test`, {}),
};

/** Artifact storage of one experiment (what was uploaded, what is kept after deduplication) and its quota. */
export interface ExperimentUsage {
  experiment_id: string;
  files: number;
  logical_bytes: number;
  stored_bytes: number;
  quota_bytes?: number;
}

export interface RetentionPolicy {
  policy_id: string;
  prefix: string;
  keep_last?: number | null;
  keep_best?: number | null;
  metric_key?: string | null;
  metric_goal?: string | null;
}

export const operations = {
  usage: (experimentId: string) => api.get<ExperimentUsage>(`${CAIRN}/artifacts/usage`, { experiment_id: experimentId }),
  retention: (experimentId: string) => api.get<{ policies: RetentionPolicy[] }>(`${CAIRN}/artifacts/retention-policies`, { experiment_id: experimentId }),
  /** Which runs the orphan reaper would close now (nothing is changed). */
  orphans: () => api.post<ReapOrphansResult>(`${CAIRN}/runs/reap-orphans`, { dry_run: true }),
  /** What garbage collection would purge, and what it would keep and why (nothing is changed). */
  gcDryRun: () => api.post<GcResult>(`${CAIRN}/gc`, { dry_run: true }),
};
