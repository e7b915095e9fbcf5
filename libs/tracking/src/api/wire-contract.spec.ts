import type { z } from 'zod';
import {
  parseRequest,
  withRunId,
  type CreateExperimentRequest,
  type CreateRunRequest,
  type DeleteTagRequest,
  type ExperimentIdRequest,
  type GcRequest,
  type GetMetricHistoryRequest,
  type LogBatchRequest,
  type RunIdRequest,
  type RunKeyValueRequest,
  type SearchExperimentsRequest,
  type SearchRunsRequest,
  type UpdateExperimentRequest,
  type UpdateRunRequest,
} from '@cairn/contracts';
import { unreadFields } from '@cairn/testing';
import * as s from './schemas';

/**
 * The SDK builds its request bodies as `@cairn/contracts`' request types; these samples fill every
 * field of those types (`Required<…>`, so a field added to a contract must be added here) and check
 * that the server's schema reads each one. zod drops keys a schema does not declare, so a field the
 * client sends under a name the server does not know disappears from the parsed request.
 */
const run = { run_id: 'a'.repeat(32), run_uuid: 'a'.repeat(32) };
const kv = [{ key: 'k', value: 'v' }];

const samples: [string, z.ZodType, object][] = [
  ['createExperiment', s.createExperiment, { name: 'e', artifact_location: 's3://b/e', tags: kv } satisfies Required<CreateExperimentRequest>],
  ['experimentId', s.experimentId, { experiment_id: '1' } satisfies Required<ExperimentIdRequest>],
  ['updateExperiment', s.updateExperiment, { experiment_id: '1', new_name: 'f' } satisfies Required<UpdateExperimentRequest>],
  [
    'searchExperiments',
    s.searchExperiments,
    { filter: "name = 'e'", order_by: ['name'], max_results: 5, page_token: 't', view_type: 'ALL' } satisfies Required<SearchExperimentsRequest>,
  ],
  ['createRun', s.createRun, { experiment_id: '1', run_name: 'r', start_time: 1, user_id: 'u', tags: kv } satisfies Required<CreateRunRequest>],
  ['runId', s.runId, run satisfies Required<RunIdRequest>],
  ['updateRun', s.updateRun, { ...run, status: 'FINISHED', end_time: 2, run_name: 'r' } satisfies Required<UpdateRunRequest>],
  [
    'searchRuns',
    s.searchRuns,
    {
      experiment_ids: ['1'],
      filter: 'metrics.loss < 1',
      run_view_type: 'ACTIVE_ONLY',
      max_results: 5,
      order_by: ['start_time DESC'],
      page_token: 't',
    } satisfies Required<SearchRunsRequest>,
  ],
  [
    'logBatch',
    s.logBatch,
    {
      ...run,
      metrics: [
        { key: 'loss', value: 'NaN', timestamp: 1, step: 0, dataset_name: 'd', dataset_digest: 'x', model_id: 'm-1' } satisfies Required<
          NonNullable<LogBatchRequest['metrics']>[number]
        >,
      ],
      params: kv,
      tags: kv,
    } satisfies Required<LogBatchRequest>,
  ],
  ['logParam', s.logParam, { ...run, key: 'k', value: 'v' } satisfies Required<RunKeyValueRequest>],
  ['setTag', s.setTag, { ...run, key: 'k', value: 'v' } satisfies Required<RunKeyValueRequest>],
  ['deleteTag', s.deleteTag, { ...run, key: 'k' } satisfies Required<DeleteTagRequest>],
  ['metricHistory', s.metricHistory, { ...run, metric_key: 'loss', page_token: 't', max_results: 5 } satisfies Required<GetMetricHistoryRequest>],
  ['gc', s.gc, { dry_run: true, older_than_days: 3 } satisfies Required<GcRequest>],
];

describe("tracking's request schemas read every field of the contracts' request bodies", () => {
  it.each(samples)('%s', (_name, schema, sample) => {
    const parsed = parseRequest(schema, withRunId(sample as Record<string, unknown>));
    // `run_uuid` is read before the schema, by withRunId (the deprecated spelling of run_id).
    expect(unreadFields(sample, parsed).filter((p) => p !== '.run_uuid')).toEqual([]);
  });

  it('a field the schema does not know is dropped, so the check above can fail', () => {
    const sample = { run_id: 'r', metrics: [{ key: 'loss', value: 1, timestamp: 1, dataset: 'd' }] };
    expect(unreadFields(sample, parseRequest(s.logBatch, sample))).toEqual(['.metrics[0].dataset']);
  });
});
