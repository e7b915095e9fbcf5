import { CairnError, TRACKING_EVENT_TYPES as T, type TrackingEvent } from '@cairn/contracts';
import { deciderSpecification } from '@cairn/testing';
import { decideCreateRun, decideRun, evolveRun, type RunCommand, type RunState } from './run';

const runId = 'a'.repeat(32);
const created: TrackingEvent = {
  type: T.runCreated,
  aggregateId: runId,
  data: {
    runId,
    experimentId: '1',
    name: 'r',
    userId: 'u',
    status: 'RUNNING',
    startTime: 1,
    artifactUri: 'mlflow-artifacts:/1/x/artifacts',
    tags: [{ key: 'mlflow.runName', value: 'r' }],
  },
};

const spec = deciderSpecification<RunState | null, RunCommand, TrackingEvent>({
  initialState: () => null,
  evolve: evolveRun,
  decide: (command, state) => {
    if (!state) throw new Error('no run yet: give a run.created event first');
    return decideRun(state, command);
  },
});

const code = (expected: string) => (error: unknown) => {
  expect(error).toBeInstanceOf(CairnError);
  expect((error as CairnError).code).toBe(expected);
};

describe('run decider', () => {
  describe('create', () => {
    const base = {
      runId,
      experiment: { experimentId: '1', lifecycleStage: 'active' as const, artifactLocation: 'mlflow-artifacts:/1' },
      requestedExperimentId: '1',
      userId: 'u',
      startTime: 5,
      runName: undefined,
      tags: [],
      generatedName: 'calm-owl-1',
    };

    it('adds the mlflow.runName tag and derives the artifact uri', () => {
      const [event] = decideCreateRun({ ...base, runName: 'gbm' });
      expect(event).toMatchObject({
        type: T.runCreated,
        data: { name: 'gbm', artifactUri: `mlflow-artifacts:/1/${runId}/artifacts`, tags: [{ key: 'mlflow.runName', value: 'gbm' }] },
      });
    });

    it('takes the name from the tag, or generates one', () => {
      expect(decideCreateRun({ ...base, tags: [{ key: 'mlflow.runName', value: 'from-tag' }] })[0]?.data).toMatchObject({ name: 'from-tag' });
      expect(decideCreateRun(base)[0]?.data).toMatchObject({ name: 'calm-owl-1' });
    });

    it('refuses a run_name that contradicts the tag', () => {
      expect(() => decideCreateRun({ ...base, runName: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] })).toThrow(
        /Both 'run_name' argument and 'mlflow.runName' tag/,
      );
    });

    it('needs an existing, active experiment', () => {
      expect(() => decideCreateRun({ ...base, experiment: null })).toThrow(expect.objectContaining({ code: 'RESOURCE_DOES_NOT_EXIST' }));
      expect(() => decideCreateRun({ ...base, experiment: { ...base.experiment, lifecycleStage: 'deleted' } })).toThrow(
        expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }),
      );
    });
  });

  it('logs metrics, new params and tags of one request as at most one event each', () => {
    const metrics = [
      { key: 'm', value: 1, timestamp: 1, step: 0 },
      { key: 'm', value: 'NaN' as const, timestamp: 2, step: 1 },
    ];
    spec
      .given([created])
      .when({
        kind: 'logBatch',
        metrics,
        params: [{ key: 'lr', value: '0.1' }],
        tags: [
          { key: 't', value: '1' },
          { key: 't', value: '2' },
        ],
      })
      .then([
        { type: T.metricsLogged, aggregateId: runId, data: { runId, metrics } },
        { type: T.paramsLogged, aggregateId: runId, data: { runId, params: [{ key: 'lr', value: '0.1' }] } },
        { type: T.tagsSet, aggregateId: runId, data: { runId, tags: [{ key: 't', value: '2' }] } },
      ]);
  });

  it('params are write-once: the same value again is a no-op, a new value is refused', () => {
    const logged: TrackingEvent = { type: T.paramsLogged, aggregateId: runId, data: { runId, params: [{ key: 'lr', value: '0.1' }] } };
    spec
      .given([created, logged])
      .when({ kind: 'logBatch', metrics: [], params: [{ key: 'lr', value: '0.1' }], tags: [] })
      .then([]);
    spec
      .given([created, logged])
      .when({ kind: 'logBatch', metrics: [], params: [{ key: 'lr', value: '0.2' }], tags: [] })
      .thenThrows((error) => {
        code('INVALID_PARAMETER_VALUE')(error);
        expect((error as Error).message).toMatch(/^Changing param values is not allowed/);
      });
  });

  // mlflow/utils/validation.py `_validate_param` / `_validate_tag` (3.18, server side):
  // `_validate_length_limit(..., truncate=True)` keeps value[:6000] / value[:8000] and answers 200.
  it('cuts param values to 6000 and tag values to 8000 code points, as MLflow 3.x stores them', () => {
    const long = 'p'.repeat(6001);
    spec
      .given([created])
      .when({ kind: 'logBatch', metrics: [], params: [{ key: 'long', value: long }], tags: [{ key: 't', value: `${'t'.repeat(7999)}😀😀` }] })
      .then([
        { type: T.paramsLogged, aggregateId: runId, data: { runId, params: [{ key: 'long', value: 'p'.repeat(6000) }] } },
        { type: T.tagsSet, aggregateId: runId, data: { runId, tags: [{ key: 't', value: `${'t'.repeat(7999)}😀` }] } },
      ]);
    // Logging the same long value again compares its cut form: a no-op, as on MLflow.
    const logged: TrackingEvent = { type: T.paramsLogged, aggregateId: runId, data: { runId, params: [{ key: 'long', value: 'p'.repeat(6000) }] } };
    spec
      .given([created, logged])
      .when({ kind: 'logBatch', metrics: [], params: [{ key: 'long', value: long }], tags: [] })
      .then([]);
  });

  it('a deleted run is readable but refuses writes until restored', () => {
    const deleted: TrackingEvent = { type: T.runDeleted, aggregateId: runId, data: { runId, deletedTime: 9 } };
    for (const command of [
      { kind: 'logBatch', metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }], params: [], tags: [] },
      { kind: 'update', status: 'FINISHED' },
      { kind: 'logModel', model: {} },
    ] satisfies RunCommand[]) {
      spec.given([created, deleted]).when(command).thenThrows(code('INVALID_PARAMETER_VALUE'));
    }
    spec
      .given([created, deleted])
      .when({ kind: 'restore' })
      .then([{ type: T.runRestored, aggregateId: runId, data: { runId } }]);
    const restored: TrackingEvent = { type: T.runRestored, aggregateId: runId, data: { runId } };
    spec
      .given([created, deleted, restored])
      .when({ kind: 'update', status: 'FINISHED', endTime: 10 })
      .then([{ type: T.runUpdated, aggregateId: runId, data: { runId, status: 'FINISHED', endTime: 10 } }]);
  });

  it("an experiment's deletion deletes its runs", () => {
    const state = [
      created,
      { type: T.experimentDeleted, aggregateId: '1', data: { experimentId: '1', deletedTime: 3, runIds: [runId] } } as TrackingEvent,
    ].reduce(evolveRun, null);
    expect(state?.lifecycleStage).toBe('deleted');
  });

  it('deleting a missing tag is RESOURCE_DOES_NOT_EXIST', () => {
    spec.given([created]).when({ kind: 'deleteTag', key: 'nope' }).thenThrows(code('RESOURCE_DOES_NOT_EXIST'));
    spec
      .given([created])
      .when({ kind: 'deleteTag', key: 'mlflow.runName' })
      .then([{ type: T.tagDeleted, aggregateId: runId, data: { runId, key: 'mlflow.runName' } }]);
  });

  it('run name and mlflow.runName tag follow each other in the projection', () => {
    const renamedByTag = evolveRun(evolveRun(null, created), {
      type: T.tagsSet,
      aggregateId: runId,
      data: { runId, tags: [{ key: 'mlflow.runName', value: 'x' }] },
    });
    expect(renamedByTag?.name).toBe('x');
    const renamedByUpdate = evolveRun(renamedByTag, { type: T.runUpdated, aggregateId: runId, data: { runId, name: 'y' } });
    expect(renamedByUpdate?.tags.get('mlflow.runName')).toBe('y');
  });
});
