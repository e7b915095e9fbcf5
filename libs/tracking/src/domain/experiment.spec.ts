import { TRACKING_EVENT_TYPES as T } from '@cairn/contracts';
import { decideCreateExperiment, decideExperiment, type ExperimentState } from './experiment';

const active: ExperimentState = { experimentId: '7', name: 'churn', lifecycleStage: 'active', tagKeys: new Set(['team']) };
const deleted: ExperimentState = { ...active, lifecycleStage: 'deleted' };

describe('experiment decider', () => {
  const create = { experimentId: '7', name: 'churn', artifactLocation: 'mlflow-artifacts:/7', tags: [], now: 1, nameHolder: null };

  it('creates an experiment', () => {
    expect(decideCreateExperiment(create)).toEqual([
      {
        type: T.experimentCreated,
        aggregateId: '7',
        data: { experimentId: '7', name: 'churn', artifactLocation: 'mlflow-artifacts:/7', creationTime: 1, tags: [] },
      },
    ]);
  });

  it('a repeated tag key in one request keeps the last value (one row per key)', () => {
    const [event] = decideCreateExperiment({
      ...create,
      tags: [
        { key: 'a', value: '1' },
        { key: 'a', value: '2' },
      ],
    });
    expect(event?.data).toMatchObject({ tags: [{ key: 'a', value: '2' }] });
  });

  it("a deleted experiment's name is still taken (RESOURCE_ALREADY_EXISTS)", () => {
    expect(() => decideCreateExperiment({ ...create, nameHolder: { experimentId: '3', lifecycleStage: 'deleted' } })).toThrow(
      expect.objectContaining({ code: 'RESOURCE_ALREADY_EXISTS', message: expect.stringContaining('deleted state') }),
    );
    expect(() =>
      decideExperiment(active, '7', { kind: 'rename', newName: 'old', nameHolder: { experimentId: '3', lifecycleStage: 'deleted' }, now: 2 }),
    ).toThrow(expect.objectContaining({ code: 'RESOURCE_ALREADY_EXISTS' }));
  });

  it('refuses empty and overlong names', () => {
    expect(() => decideCreateExperiment({ ...create, name: ' ' })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
    expect(() => decideCreateExperiment({ ...create, name: 'x'.repeat(501) })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });

  it('delete carries the runs it deletes; only a deleted experiment can be restored (else RESOURCE_DOES_NOT_EXIST, as MLflow)', () => {
    expect(decideExperiment(active, '7', { kind: 'delete', runIds: ['r1'], now: 3 })).toEqual([
      { type: T.experimentDeleted, aggregateId: '7', data: { experimentId: '7', deletedTime: 3, runIds: ['r1'] } },
    ]);
    expect(() => decideExperiment(active, '7', { kind: 'restore', runIds: [], now: 3 })).toThrow(expect.objectContaining({ code: 'RESOURCE_DOES_NOT_EXIST' }));
    expect(() => decideExperiment(deleted, '7', { kind: 'delete', runIds: [], now: 3 })).toThrow(expect.objectContaining({ code: 'RESOURCE_DOES_NOT_EXIST' }));
    expect(decideExperiment(deleted, '7', { kind: 'restore', runIds: ['r1'], now: 4 })[0]?.type).toBe(T.experimentRestored);
  });

  it('the Default experiment cannot be deleted, a missing one is RESOURCE_DOES_NOT_EXIST', () => {
    expect(() => decideExperiment({ ...active, experimentId: '0' }, '0', { kind: 'delete', runIds: [], now: 1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }),
    );
    expect(() => decideExperiment(null, '99', { kind: 'setTag', key: 'a', value: 'b' })).toThrow(expect.objectContaining({ code: 'RESOURCE_DOES_NOT_EXIST' }));
  });

  it('tags: only on active experiments; deleting a missing tag is RESOURCE_DOES_NOT_EXIST', () => {
    expect(() => decideExperiment(deleted, '7', { kind: 'setTag', key: 'a', value: 'b' })).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }),
    );
    expect(() => decideExperiment(active, '7', { kind: 'deleteTag', key: 'nope' })).toThrow(expect.objectContaining({ code: 'RESOURCE_DOES_NOT_EXIST' }));
    expect(decideExperiment(active, '7', { kind: 'deleteTag', key: 'team' })).toHaveLength(1);
  });
});
