import { Inject, Injectable } from '@nestjs/common';
import type { ReadScope, TraceAssessment, TraceState } from '@cairn/contracts';
import { Database, type Sql, type UnitOfWork } from '@cairn/platform';
import { compileSearch, readScopeCondition, tracesSearch, type SearchPage } from '@cairn/search';
import type { TraceView } from '../application/views';
import type { TraceAggregate } from '../domain/trace';
import type { TraceMetricsQuery } from '../domain/trace-metrics';
import { traceMetricsStatement } from './trace-metrics-sql';
import * as tq from './trace-sql';

interface TraceInfoRow {
  trace_id: string;
  experiment_id: string;
  request_time: string;
  execution_duration: string | null;
  state: TraceState;
  request_preview: string | null;
  response_preview: string | null;
  client_request_id: string | null;
  tags: Record<string, string>;
  metadata: Record<string, string>;
  assessments: Record<string, unknown>[];
}

function traceView(row: TraceInfoRow): TraceView {
  return {
    traceId: row.trace_id,
    experimentId: row.experiment_id,
    requestTime: Number(row.request_time),
    executionDuration: row.execution_duration === null ? null : Number(row.execution_duration),
    state: row.state,
    requestPreview: row.request_preview,
    responsePreview: row.response_preview,
    clientRequestId: row.client_request_id,
    tags: row.tags,
    metadata: row.metadata,
    assessments: row.assessments,
  };
}

/** The trace read model in Postgres: the trace aggregate's state for the decider, and trace views. */
@Injectable()
export class TraceStore {
  constructor(@Inject(Database) private readonly db: Database) {}

  async lockTrace(tx: UnitOfWork, traceId: string): Promise<{ state: TraceAggregate; version: number } | null> {
    const row = (await tx.query<{ trace_id: string; experiment_id: string; version: string }>(tq.LOCK_TRACE, [traceId])).rows[0];
    if (!row) return null;
    const tagKeys = (await tx.query<{ key: string }>(tq.SELECT_TRACE_TAG_KEYS, [traceId])).rows.map((r) => r.key);
    const assessments = (
      await tx.query<{ assessment_id: string; name: string; create_time: string; last_update_time: string; body: Record<string, unknown> }>(
        tq.SELECT_TRACE_ASSESSMENTS,
        [traceId],
      )
    ).rows.map((r): TraceAssessment => ({
      assessmentId: r.assessment_id,
      name: r.name,
      createTime: Number(r.create_time),
      lastUpdateTime: Number(r.last_update_time),
      body: r.body,
    }));
    return {
      version: Number(row.version),
      state: {
        traceId: row.trace_id,
        experimentId: row.experiment_id,
        tagKeys: new Set(tagKeys),
        assessments: new Map(assessments.map((a) => [a.assessmentId, a])),
      },
    };
  }

  async setVersion(tx: UnitOfWork, traceId: string, version: number): Promise<void> {
    await tx.query(tq.SET_TRACE_VERSION, [traceId, version]);
  }

  async traceIdsUpTo(experimentId: string, maxTimestampMillis: number, maxTraces: number): Promise<string[]> {
    return (await this.db.query<{ trace_id: string }>(tq.SELECT_TRACE_IDS_UP_TO, [experimentId, maxTimestampMillis, maxTraces])).rows.map((r) => r.trace_id);
  }

  async traceIdsIn(experimentId: string, traceIds: readonly string[]): Promise<string[]> {
    return (await this.db.query<{ trace_id: string }>(tq.SELECT_TRACE_IDS_IN_EXPERIMENT, [experimentId, traceIds])).rows.map((r) => r.trace_id);
  }

  // ---- reads -----------------------------------------------------------------------------------

  /** The traces found, in the order of `traceIds` (unknown ids are left out). */
  async traces(traceIds: readonly string[], sql: Sql = this.db): Promise<TraceView[]> {
    if (traceIds.length === 0) return [];
    const rows = (await sql.query<TraceInfoRow>(tq.SELECT_TRACE_INFOS, [traceIds])).rows;
    const byId = new Map(rows.map((r) => [r.trace_id, traceView(r)]));
    return traceIds.flatMap((id) => byId.get(id) ?? []);
  }

  async assessment(traceId: string, assessmentId: string): Promise<Record<string, unknown> | null> {
    const row = (await this.db.query<{ body: Record<string, unknown> }>(tq.SELECT_TRACE_ASSESSMENT, [traceId, assessmentId])).rows[0];
    return row?.body ?? null;
  }

  /**
   * One page of the experiments' traces matching an MLflow trace filter, ordered and keyset-paged by
   * the search lib; the page's infos are read by id in a second query.
   */
  async search(
    experimentIds: readonly string[],
    readable: ReadScope,
    request: { filter?: string | undefined; orderBy?: readonly string[] | undefined; maxResults?: number | undefined; pageToken?: string | undefined },
  ): Promise<SearchPage<TraceView>> {
    const visible = readScopeCondition(readable, 'tr.experiment_id', 'bigint', 2);
    const search = compileSearch(tracesSearch, { ...request, firstParamIndex: 2 + visible.values.length, scope: [...experimentIds].sort() });
    // Planned for the filter's values, as runs/search is (Database.queryWithCustomPlan).
    const { rows } = await this.db.queryWithCustomPlan<Record<string, unknown> & { trace_id: string }>(
      `SELECT ${search.alias}.trace_id, ${search.sortKeySelect}
       FROM tracking.traces ${search.alias} ${search.joins}
       WHERE ${search.alias}.experiment_id = ANY($1::bigint[]) AND ${visible.sql} AND ${search.where}
       ORDER BY ${search.orderBy}
       LIMIT ${search.limit} OFFSET ${search.offset}`,
      [experimentIds, ...visible.values, ...search.params],
    );
    const page = search.page(rows);
    return { rows: await this.traces(page.rows.map((r) => r.trace_id)), nextPageToken: page.nextPageToken };
  }

  /**
   * QueryTraceMetrics' groups over the experiments' traces the caller may read: per group its keys
   * (`time_bucket` as epoch ms) and one value per aggregation, in the query's order (NULL: no value).
   */
  async traceMetrics(
    experimentIds: readonly string[],
    readable: ReadScope,
    query: TraceMetricsQuery,
  ): Promise<{ groups: Record<string, string>; values: (number | null)[] }[]> {
    const statement = traceMetricsStatement(query, experimentIds, readScopeCondition(readable, 'tr.experiment_id', 'bigint', 2));
    const { rows } = await this.db.query<Record<string, string | number | null>>(statement.text, statement.values);
    return rows.map((row) => ({
      groups: Object.fromEntries(statement.dimensions.map((d) => [d, String(row[d])])),
      values: query.aggregations.map((_, i) => {
        const v = row[`agg_${i}`];
        return v === null || v === undefined ? null : Number(v);
      }),
    }));
  }
}
