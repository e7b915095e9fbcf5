import { Inject, Injectable } from '@nestjs/common';
import { invalidParameter, notFound, type ReadScope } from '@cairn/contracts';
import { SearchSyntaxError, type SearchPage } from '@cairn/search';
import { isTraceId } from '../domain/trace';
import { aggregationLabel, timeBucketLabel, type TraceMetricsQuery } from '../domain/trace-metrics';
import { TraceStore } from '../infra/trace-store';
import type { MetricDataPointView, TraceView } from './views';

/** Read side of traces: infos, searches and assessments straight from the read model. */
@Injectable()
export class TraceQueries {
  constructor(@Inject(TraceStore) private readonly store: TraceStore) {}

  async trace(traceId: string): Promise<TraceView> {
    const [trace] = isTraceId(traceId) ? await this.store.traces([traceId]) : [];
    if (!trace) throw notFound(`Trace with ID ${traceId} is not found.`);
    return trace;
  }

  /** BatchGetTraces: the traces found, in the order asked; unknown ids are left out (as MLflow's). */
  traces(traceIds: readonly string[]): Promise<TraceView[]> {
    return this.store.traces([...new Set(traceIds)].filter(isTraceId));
  }

  async search(
    experimentIds: readonly string[],
    readable: ReadScope,
    request: { filter?: string | undefined; orderBy?: readonly string[] | undefined; maxResults?: number | undefined; pageToken?: string | undefined },
  ): Promise<SearchPage<TraceView>> {
    const ids = experimentIds.filter((id) => /^\d{1,18}$/.test(id));
    if (ids.length === 0) return { rows: [], nextPageToken: undefined };
    try {
      return await this.store.search(ids, readable, request);
    } catch (error) {
      if (error instanceof SearchSyntaxError) throw invalidParameter(error.message);
      throw error;
    }
  }

  async assessment(traceId: string, assessmentId: string): Promise<Record<string, unknown>> {
    const assessment = isTraceId(traceId) && !assessmentId.includes('\u0000') ? await this.store.assessment(traceId, assessmentId) : null;
    if (!assessment) throw notFound(`Assessment with ID '${assessmentId}' not found for trace '${traceId}'`);
    return assessment;
  }

  /**
   * QueryTraceMetrics' data points (experiment ids already checked as int64 decimals), as MLflow
   * converts its rows: a group with a NULL key or no value at all is left out, NULL values are left
   * out of `values`, and `time_bucket` is an ISO date. MLflow does not page these yet (no
   * `next_page_token`, `page_token` ignored), nor does Cairn.
   */
  async traceMetrics(experimentIds: readonly string[], readable: ReadScope, query: TraceMetricsQuery): Promise<MetricDataPointView[]> {
    // No experiment still aggregates (over no traces): a count answers 0, as MLflow's does.
    const labels = query.aggregations.map(aggregationLabel);
    return (await this.store.traceMetrics(experimentIds, readable, query)).flatMap(({ groups, values }) => {
      const valueMap = Object.fromEntries(labels.flatMap((label, i) => (values[i] === null || values[i] === undefined ? [] : [[label, values[i]]])));
      if (Object.keys(valueMap).length === 0) return [];
      const { time_bucket: bucket, ...rest } = groups;
      const dimensions = bucket === undefined ? rest : { time_bucket: timeBucketLabel(Number(bucket)), ...rest };
      return [{ metricName: query.metricName, dimensions, values: valueMap }];
    });
  }
}
