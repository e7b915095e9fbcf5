import { Inject, Injectable } from '@nestjs/common';
import { invalidParameter, notFound, type ReadScope } from '@cairn/contracts';
import { Database } from '@cairn/platform';
import { compileSearch, experimentsSearch, readScopeCondition, runsSearch, SearchSyntaxError, type SearchEntity } from '@cairn/search';
import { endsBefore, lastPointOf, pointPrefix, renderChunk, type ChunkText, type HistoryCursor } from '../domain/history-json';
import { LIMITS } from '../domain/limits';
import { METRIC_CHUNK_POINTS } from '../domain/metrics';
import { compileLoggedModelSearch, type DatasetFilter, type LoggedModelOrder } from './logged-model-search';
import { TrackingStore } from '../infra/tracking-store';
import type { ExperimentView, LoggedModelView, MetricView, Page, RunView } from './views';

export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

const STAGES: Record<ViewType, string[]> = { ACTIVE_ONLY: ['active'], DELETED_ONLY: ['deleted'], ALL: ['active', 'deleted'] };

/** History pages: `<step>.<timestamp>.<id>` of the last point returned, base64url. */
function encodeHistoryToken(c: { step: number; timestamp: number; id: number }): string {
  return Buffer.from(JSON.stringify([c.step, c.timestamp, c.id])).toString('base64url');
}

function decodeHistoryToken(token: string): { step: number; timestamp: number; id: number } {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 3 && value.every((v) => Number.isSafeInteger(v))) {
      return { step: value[0] as number, timestamp: value[1] as number, id: value[2] as number };
    }
  } catch {
    // fall through
  }
  throw invalidParameter(`Invalid page token: ${JSON.stringify(token.slice(0, 100))}`);
}

function searchError(error: unknown): never {
  if (error instanceof SearchSyntaxError) throw invalidParameter(error.message);
  throw error;
}

/** Read side: gets, searches and metric history straight from the read model. */
@Injectable()
export class TrackingQueries {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(TrackingStore) private readonly store: TrackingStore,
  ) {}

  async experiment(experimentId: string): Promise<ExperimentView> {
    const experiment = await this.store.experiment(experimentId);
    if (!experiment) throw notFound(`No Experiment with id=${experimentId} exists`);
    return experiment;
  }

  async experimentByName(name: string): Promise<ExperimentView> {
    const experiment = await this.store.experimentByName(name);
    if (!experiment) throw notFound(`Could not find experiment with name '${name}'`);
    return experiment;
  }

  async run(runId: string): Promise<RunView> {
    const run = await this.store.run(runId);
    if (!run) throw notFound(`Run with id=${runId} not found`);
    return run;
  }

  /**
   * `scopeSql` holds the request's own conditions on `$1..$k` (`scopeParams`, also what a page token
   * is tied to); `visible` the caller's read scope on `experimentColumn`, in the same WHERE, so pages
   * and tokens walk only rows the caller may read.
   */
  private async search<Row extends Record<string, unknown>>(
    entity: SearchEntity,
    idColumn: string,
    scopeSql: string,
    scopeParams: unknown[],
    readable: { scope: ReadScope; experimentColumn: string },
    request: { filter?: string | undefined; orderBy?: string[] | undefined; pageToken?: string | undefined; maxResults?: number | undefined },
  ): Promise<{ ids: string[]; nextPageToken: string | undefined }> {
    const visible = readScopeCondition(readable.scope, readable.experimentColumn, 'bigint', scopeParams.length + 1);
    let compiled;
    try {
      compiled = compileSearch(entity, {
        filter: request.filter,
        orderBy: request.orderBy,
        pageToken: request.pageToken,
        maxResults: request.maxResults,
        firstParamIndex: scopeParams.length + visible.values.length + 1,
        scope: scopeParams,
      });
    } catch (error) {
      searchError(error);
    }
    const a = compiled.alias;
    const text = `SELECT ${a}.${idColumn}::text AS search_id, ${compiled.sortKeySelect}
      FROM ${entity.table} ${a} ${compiled.joins}
      WHERE ${scopeSql} AND ${visible.sql} AND ${compiled.where}
      ORDER BY ${compiled.orderBy}
      LIMIT ${compiled.limit} OFFSET ${compiled.offset}`;
    // Planned for the filter's values: the generic plan the pool's sessions default to cannot tell
    // a selective filter from a broad one (see queryWithCustomPlan).
    const { rows } = await this.db.queryWithCustomPlan<Row & { search_id: string }>(text, [...scopeParams, ...visible.values, ...compiled.params]);
    const page = compiled.page(rows);
    return { ids: page.rows.map((r) => r.search_id), nextPageToken: page.nextPageToken };
  }

  /**
   * Runs of the requested experiments the caller may read (`readable`: its experiment scope). The
   * API edge already refuses a request naming an unreadable experiment; the scope is applied here
   * as well, so no caller of this method can page through runs it may not see.
   */
  async searchRuns(
    request: {
      experimentIds: string[];
      filter?: string | undefined;
      viewType: ViewType;
      maxResults?: number | undefined;
      orderBy?: string[] | undefined;
      pageToken?: string | undefined;
    },
    readable: ReadScope,
  ): Promise<Page<RunView>> {
    const ids = request.experimentIds.filter((id) => /^\d{1,18}$/.test(id));
    if (ids.length === 0) return { items: [] };
    const page = await this.search(
      runsSearch,
      'run_uuid',
      'r.experiment_id = ANY($1::bigint[]) AND r.lifecycle_stage = ANY($2::text[])',
      [ids, STAGES[request.viewType]],
      { scope: readable, experimentColumn: 'r.experiment_id' },
      request,
    );
    const runs = await this.store.runsByIds(page.ids);
    return page.nextPageToken ? { items: runs, nextPageToken: page.nextPageToken } : { items: runs };
  }

  /** The experiments the caller may read (`readable`) that match. */
  async searchExperiments(
    request: {
      filter?: string | undefined;
      viewType: ViewType;
      maxResults?: number | undefined;
      orderBy?: string[] | undefined;
      pageToken?: string | undefined;
    },
    readable: ReadScope,
  ): Promise<Page<ExperimentView>> {
    const page = await this.search(
      experimentsSearch,
      'experiment_id',
      'e.lifecycle_stage = ANY($1::text[])',
      [STAGES[request.viewType]],
      { scope: readable, experimentColumn: 'e.experiment_id' },
      request,
    );
    const experiments = await this.store.experimentsByIds(page.ids);
    return page.nextPageToken ? { items: experiments, nextPageToken: page.nextPageToken } : { items: experiments };
  }

  /**
   * One page of a metric's history (empty for an unknown run, as in MLflow). Without `max_results` MLflow returns the whole series; we still
   * read it from Postgres in bounded chunks (see `metricHistoryChunks`).
   */
  async metricHistoryPage(runId: string, key: string, maxResults: number, pageToken: string | undefined): Promise<Page<MetricView>> {
    const after = pageToken ? decodeHistoryToken(pageToken) : null;
    const { points, cut } = await this.store.metricHistoryPage(runId, key, after, maxResults + 1);
    const kept = points.slice(0, maxResults);
    const items = kept.map(({ cursor: _cursor, ...metric }) => metric);
    const last = kept[kept.length - 1];
    return (points.length > maxResults || cut) && last ? { items, nextPageToken: encodeHistoryToken(last.cursor) } : { items };
  }

  /**
   * The whole series as pieces of wire JSON (comma-joined metric objects), for streaming a response
   * without holding the series in memory. Stored chunks that do not overlap — a series logged with
   * growing steps, the usual case — are rendered here from their text columns, a read of chunks
   * at a time (`renderChunk`); from the first chunk that overlaps the next one on, the rest is
   * paged in (step, timestamp, id) order and rendered by Postgres (`metricHistoryJsonPage`).
   */
  async *metricHistoryJsonChunks(runId: string, key: string, chunkSize = 20_000): AsyncGenerator<string> {
    const prefix = pointPrefix(key);
    const chunksPerRead = Math.max(1, Math.ceil(chunkSize / METRIC_CHUNK_POINTS));
    // Each read is requested before the previous one is rendered and sent: Postgres prints the
    // next chunks on one core while this process writes on the other. Memory: two reads.
    const read = (after: { minStep: string; chunkId: string; points: number } | null) => {
      const chunks = this.store.metricChunksAsText(runId, key, after, chunksPerRead);
      chunks.catch(() => undefined); // a client gone mid-stream leaves the read-ahead unawaited
      return chunks;
    };
    let next = read(null);
    let pending: ChunkText | null = null; // read, not yet sent: it is sent once the chunk after it is known
    let sentUpTo: HistoryCursor | null = null;
    let overlap = false;
    for (;;) {
      const { chunks, cursorChanged } = await next;
      // A compaction merged the chunk this read went on from (ADR 0016): keyset reads could now
      // skip points, so the rest is paged from the last point sent, as after an overlap.
      if (cursorChanged) break;
      const last = chunks[chunks.length - 1];
      if (chunks.length === chunksPerRead && last) next = read({ minStep: last.minStep, chunkId: last.chunkId, points: last.points });
      const out: string[] = [];
      for (const chunk of chunks) {
        if (pending && !endsBefore(pending, chunk)) {
          overlap = true;
          break;
        }
        if (pending) {
          renderChunk(prefix, pending, out);
          sentUpTo = lastPointOf(pending);
        }
        pending = chunk;
      }
      if (!overlap && chunks.length < chunksPerRead && pending) {
        renderChunk(prefix, pending, out); // the series' last chunk
        pending = null;
      }
      if (out.length > 0) yield out.join(',');
      if (overlap) break;
      if (chunks.length < chunksPerRead) return;
    }
    yield* this.pagedHistoryJson(runId, key, sentUpTo, chunkSize);
  }

  /** History after `after` in (step, timestamp, id) pages, rendered by Postgres; what an overlap falls back to. */
  private async *pagedHistoryJson(runId: string, key: string, after: HistoryCursor | null, chunkSize: number): AsyncGenerator<string> {
    const fetchPage = (from: HistoryCursor | null) => {
      const page = this.store.metricHistoryJsonPage(runId, key, from, chunkSize);
      page.catch(() => undefined);
      return page;
    };
    let next = fetchPage(after);
    for (;;) {
      const page = await next;
      if (page.count === 0 || !page.last) return;
      const more = page.count === chunkSize || page.cut;
      if (more) next = fetchPage(page.last);
      yield page.json;
      if (!more) return;
    }
  }

  /**
   * MLflow `get_metric_history_bulk_interval`: choose up to `max_results` steps evenly spread over
   * each run's steps (always keeping the first and last), return every run's points at them.
   */
  async metricHistoryBulkInterval(request: { runIds: string[]; key: string; startStep?: number; endStep?: number; maxResults: number }): Promise<MetricView[]> {
    const start = request.startStep === undefined ? '-9223372036854775808' : String(request.startStep);
    const end = request.endStep === undefined ? '9223372036854775807' : String(request.endStep);
    const steps = await this.store.sampledMetricSteps(request.runIds, request.key, start, end, request.maxResults);
    // Several runs contribute their own samples; keep the union to max_results.
    const chosen = sampleSteps(steps, request.maxResults);
    if (chosen.length === 0) return [];
    return this.store.metricPointsAtSteps(request.runIds, request.key, chosen);
  }

  /** Datasets of the requested experiments the caller may read (`readable`). */
  async datasetSummaries(experimentIds: string[], readable: ReadScope) {
    if (experimentIds.length > 20) throw invalidParameter('experiment_ids must contain at most 20 experiment ids.');
    return this.store.datasetSummaries(experimentIds, readable);
  }

  async loggedModel(modelId: string, allowDeleted = false): Promise<LoggedModelView> {
    const model = (await this.store.loggedModelsByIds([modelId]))[0];
    if (!model || (model.lifecycleStage === 'deleted' && !allowDeleted)) throw notFound(`Logged model with ID '${modelId}' not found.`);
    return model;
  }

  /**
   * Logged-model search: experiments, an optional `name`/`status`/`source_run_id`/`model_type`
   * equality filter (AND-joined), newest first, offset tokens; only models of experiments the caller
   * may read (`readable`), so offsets count visible models only.
   */
  async searchLoggedModels(
    request: {
      experimentIds: string[];
      filter?: string | undefined;
      orderBy?: LoggedModelOrder[];
      datasets?: DatasetFilter[];
      maxResults?: number | undefined;
      pageToken?: string | undefined;
    },
    readable: ReadScope,
  ): Promise<Page<LoggedModelView>> {
    const ids = request.experimentIds.filter((id) => /^\d{1,18}$/.test(id));
    const maxResults =
      request.maxResults && request.maxResults > 0 ? Math.min(request.maxResults, LIMITS.searchRunsMaxResults) : LIMITS.searchLoggedModelsDefault;
    let offset = 0;
    if (request.pageToken) {
      try {
        const value = JSON.parse(Buffer.from(request.pageToken, 'base64').toString('utf8')) as { offset?: unknown };
        if (!Number.isSafeInteger(value.offset) || (value.offset as number) < 0) throw new Error('bad');
        offset = value.offset as number;
      } catch {
        throw invalidParameter('Invalid page token');
      }
    }
    const visible = readScopeCondition(readable, 'lm.experiment_id', 'bigint', 2);
    const search = compileLoggedModelSearch(request.filter, request.orderBy ?? [], 2 + visible.values.length, request.datasets ?? []);
    const conditions = ['lm.experiment_id = ANY($1::bigint[])', visible.sql, "lm.lifecycle_stage = 'active'", ...search.where];
    const { rows } = await this.db.query<{ model_id: string }>(
      `SELECT lm.model_id FROM tracking.logged_models lm WHERE ${conditions.join(' AND ')}
       ORDER BY ${search.orderBy} LIMIT ${maxResults + 1} OFFSET ${offset}`,
      [ids, ...visible.values, ...search.params],
    );
    const models = await this.store.loggedModelsByIds(rows.slice(0, maxResults).map((r) => r.model_id));
    return rows.length > maxResults
      ? { items: models, nextPageToken: Buffer.from(JSON.stringify({ offset: offset + maxResults })).toString('base64') }
      : { items: models };
  }
}

/** Evenly spaced steps over the sorted distinct steps, first and last always included. */
export function sampleSteps(steps: number[], maxResults: number): number[] {
  if (steps.length <= maxResults) return steps;
  if (maxResults <= 1) return steps.slice(0, maxResults);
  const chosen = new Set<number>();
  const stride = (steps.length - 1) / (maxResults - 1);
  for (let i = 0; i < maxResults; i++) {
    const step = steps[Math.round(i * stride)];
    if (step !== undefined) chosen.add(step);
  }
  return [...chosen].sort((a, b) => a - b);
}
