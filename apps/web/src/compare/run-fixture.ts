import type { Run } from '@cairn/contracts';

/** A finished run with the given params and latest metrics, for the compare specs. */
export const runWith = (id: string, params: Record<string, string>, metrics: Record<string, number>): Run => ({
  info: { run_id: id, run_uuid: id, run_name: id, experiment_id: '1', user_id: 'u', status: 'FINISHED', artifact_uri: '', lifecycle_stage: 'active' },
  data: {
    params: Object.entries(params).map(([key, value]) => ({ key, value })),
    metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, step: 0, timestamp: 0 })),
  },
  inputs: {},
  outputs: {},
});
