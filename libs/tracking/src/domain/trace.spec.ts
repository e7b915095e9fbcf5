import { TRACKING_EVENT_TYPES as T } from '@cairn/contracts';
import { checkTraceId, decideLogTrace, decideTrace, durationOf, timeOf, toDuration, toTimestamp, traceEntries, type TraceAggregate } from './trace';

const experiment = { experimentId: '4', lifecycleStage: 'active' as const, artifactLocation: 'mlflow-artifacts:/4' };
const info = { traceId: 'tr-1', requestTime: 1000, state: 'OK' as const, metadata: [], tags: [], assessments: [] };
const logged: TraceAggregate = { traceId: 'tr-1', experimentId: '4', tagKeys: new Set(['shape']), assessments: new Map() };

describe('trace decider', () => {
  it('puts the spans under the experiment, whatever location the client sent', () => {
    const [event] = decideLogTrace({
      info: {
        ...info,
        tags: [
          { key: 'mlflow.artifactLocation', value: 's3://other/x' },
          { key: 'mlflow.trace.spansLocation', value: 'TRACKING_STORE' },
        ],
      },
      experiment,
      requestedExperimentId: '4',
      existing: null,
    });
    expect(event).toMatchObject({
      type: T.traceLogged,
      data: { tags: [{ key: 'mlflow.artifactLocation', value: 'mlflow-artifacts:/4/traces/tr-1/artifacts' }] },
    });
  });

  it('refuses an unknown or deleted experiment, and moving a trace to another experiment', () => {
    expect(() => decideLogTrace({ info, experiment: null, requestedExperimentId: '9', existing: null })).toThrow(
      expect.objectContaining({ code: 'RESOURCE_DOES_NOT_EXIST' }),
    );
    expect(() => decideLogTrace({ info, experiment: { ...experiment, lifecycleStage: 'deleted' }, requestedExperimentId: '4', existing: null })).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }),
    );
    expect(() => decideLogTrace({ info, experiment, requestedExperimentId: '4', existing: { ...logged, experimentId: '5' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }),
    );
  });

  it('server tags cannot be set or deleted; a missing tag cannot be deleted; a missing assessment deletes silently', () => {
    expect(() => decideTrace(logged, 'tr-1', { kind: 'setTag', key: 'mlflow.artifactLocation', value: 'x' })).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }),
    );
    expect(() => decideTrace(logged, 'tr-1', { kind: 'deleteTag', key: 'color' })).toThrow(expect.objectContaining({ code: 'RESOURCE_DOES_NOT_EXIST' }));
    expect(decideTrace(logged, 'tr-1', { kind: 'deleteTag', key: 'shape' })).toEqual([
      { type: T.traceTagDeleted, aggregateId: 'trace:tr-1', data: { traceId: 'tr-1', key: 'shape' } },
    ]);
    expect(decideTrace(logged, 'tr-1', { kind: 'deleteAssessment', assessmentId: 'a-x' })).toEqual([]);
    expect(() => decideTrace(null, 'tr-2', { kind: 'delete' })).toThrow(expect.objectContaining({ code: 'RESOURCE_DOES_NOT_EXIST' }));
  });

  it('takes only trace ids that are one path segment', () => {
    expect(checkTraceId('tr-0123456789abcdef0123456789abcdef')).toBe('tr-0123456789abcdef0123456789abcdef');
    for (const id of ['../x', 'a/b', '', '.hidden', 'x'.repeat(200)])
      expect(() => checkTraceId(id)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });

  it('refuses keys over 250 characters and cuts values to 8000, as MLflow', () => {
    expect(traceEntries({ k: 'v'.repeat(9000) }, 'tags')).toEqual([{ key: 'k', value: 'v'.repeat(8000) }]);
    expect(() => traceEntries({ ['k'.repeat(251)]: 'v' }, 'tags')).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });

  it('reads and writes protobuf JSON times as MLflow does', () => {
    expect(toTimestamp(Date.parse('2026-12-07T23:14:12.087Z'))).toBe('2026-12-07T23:14:12.087Z');
    expect(toTimestamp(Date.parse('2026-12-07T23:14:12Z'))).toBe('2026-12-07T23:14:12Z');
    expect(timeOf('2026-12-07T23:14:12.087Z')).toBe(Date.parse('2026-12-07T23:14:12.087Z'));
    expect(timeOf('yesterday')).toBeUndefined();
    expect(toDuration(437)).toBe('0.437s');
    expect(toDuration(2000)).toBe('2s');
    expect(toDuration(1500)).toBe('1.500s');
    expect(durationOf('0.437s')).toBe(437);
    expect(durationOf('1.5s')).toBe(1500);
    expect(durationOf('3s')).toBe(3000);
    expect(durationOf('0.000123456s')).toBe(0);
    expect(durationOf('soon')).toBeUndefined();
  });
});
