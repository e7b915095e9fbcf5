import { TRACKING_EVENT_TYPES as T, type TrackingEvent } from '@cairn/contracts';
import { emptyRunSummary, evolveRunSummary } from './run-summary';

const RUN = 'a'.repeat(32);
const project = (events: TrackingEvent[]) => events.reduce(evolveRunSummary, emptyRunSummary(RUN));
const created: TrackingEvent = {
  type: T.runCreated,
  aggregateId: RUN,
  data: {
    runId: RUN,
    experimentId: '7',
    name: 'gbm',
    userId: 'ana',
    status: 'RUNNING',
    startTime: 1000,
    artifactUri: 'mlflow-artifacts:/7/r/artifacts',
    tags: [{ key: 'git_commit', value: '3f2c1ab' }],
  },
};
const metrics = (...points: Array<[string, number | 'NaN', number, number]>): TrackingEvent => ({
  type: T.metricsLogged,
  aggregateId: RUN,
  data: { runId: RUN, metrics: points.map(([key, value, step, timestamp]) => ({ key, value, step, timestamp })) },
});

describe('the registry projection of a tracking run', () => {
  it('keeps the experiment, the code commit tag and the params of the run', () => {
    const summary = project([created, { type: T.paramsLogged, aggregateId: RUN, data: { runId: RUN, params: [{ key: 'lr', value: '0.05' }] } }]);
    expect(summary).toMatchObject({ experimentId: '7', name: 'gbm', tags: { git_commit: '3f2c1ab' }, params: { lr: '0.05' } });
  });

  it('keeps as final metric the greatest (step, timestamp, value), whatever order points arrive in', () => {
    const summary = project([created, metrics(['auc', 0.9, 5, 10], ['auc', 0.7, 3, 99]), metrics(['auc', 0.8, 5, 10], ['auc', 0.95, 5, 9])]);
    expect(summary.metrics['auc']).toEqual({ value: 0.9, step: 5, timestamp: 10 });
  });

  it('ranks a NaN as the 0 MLflow stores it as, as runs/get does: a positive value at the same step and timestamp wins, in either order', () => {
    expect(project([created, metrics(['auc', 'NaN', 5, 10]), metrics(['auc', 0.5, 5, 10])]).metrics['auc']?.value).toBe(0.5);
    expect(project([created, metrics(['auc', 0.5, 5, 10]), metrics(['auc', 'NaN', 5, 10])]).metrics['auc']?.value).toBe(0.5);
    expect(project([created, metrics(['loss', -0.5, 5, 10], ['loss', 'NaN', 5, 10])]).metrics['loss']?.value).toBe('NaN');
  });

  it('follows the run name through the mlflow.runName tag and the lifecycle through delete/restore', () => {
    let summary = project([created, { type: T.tagsSet, aggregateId: RUN, data: { runId: RUN, tags: [{ key: 'mlflow.runName', value: 'renamed' }] } }]);
    expect(summary.name).toBe('renamed');
    summary = evolveRunSummary(summary, { type: T.runDeleted, aggregateId: RUN, data: { runId: RUN, deletedTime: 5 } });
    expect(summary.lifecycleStage).toBe('deleted');
    summary = evolveRunSummary(summary, { type: T.runRestored, aggregateId: RUN, data: { runId: RUN } });
    expect(summary.lifecycleStage).toBe('active');
  });

  it('records each dataset input once, with its context', () => {
    const inputs: TrackingEvent = {
      type: T.inputsLogged,
      aggregateId: RUN,
      data: {
        runId: RUN,
        experimentId: '7',
        modelIds: [],
        datasets: [{ name: 'train', digest: 'md5:9d1e', sourceType: 'local', source: '/d', tags: [{ key: 'mlflow.data.context', value: 'training' }] }],
      },
    };
    expect(project([created, inputs, inputs]).datasets).toEqual([{ name: 'train', digest: 'md5:9d1e', source: '/d', context: 'training' }]);
  });
});
