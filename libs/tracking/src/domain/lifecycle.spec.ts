import { TRACKING_EVENT_TYPES as T, type TrackingEvent } from '@cairn/contracts';
import { deciderSpecification } from '@cairn/testing';
import { decideExperiment, type ExperimentState } from './experiment';
import { DAY_MS, experimentGcVerdict, gcCutoff, runGcVerdict, whyRunStays } from './lifecycle';
import { decideRun, evolveRun, type RunCommand, type RunState } from './run';

const runId = 'a'.repeat(32);
const created: TrackingEvent = {
  type: T.runCreated,
  aggregateId: runId,
  data: { runId, experimentId: '1', name: 'r', userId: 'u', status: 'RUNNING', startTime: 1_000, artifactUri: 'mlflow-artifacts:/1/x/artifacts', tags: [] },
};
const finished: TrackingEvent = { type: T.runUpdated, aggregateId: runId, data: { runId, status: 'FINISHED', endTime: 2_000 } };
const deletedAt = (deletedTime: number): TrackingEvent => ({ type: T.runDeleted, aggregateId: runId, data: { runId, deletedTime } });

const spec = deciderSpecification<RunState | null, RunCommand, TrackingEvent>({
  initialState: () => null,
  evolve: evolveRun,
  decide: (command, state) => {
    if (!state) throw new Error('no run yet');
    return decideRun(state, command);
  },
});

const HOUR = 3_600_000;

describe('orphan reaper decision', () => {
  it('closes a RUNNING run silent for the timeout as KILLED, ended at its last sign of life, with the cairn.reaped_reason tag', () => {
    spec
      .given([created])
      .when({ kind: 'reap', now: 5_000 + HOUR, orphanTimeoutMs: HOUR, lastActivityMs: 5_000 })
      .then([
        { type: T.runUpdated, aggregateId: runId, data: { runId, status: 'KILLED', endTime: 5_000 } },
        {
          type: T.tagsSet,
          aggregateId: runId,
          data: { runId, tags: [{ key: 'cairn.reaped_reason', value: 'no heartbeat or write for 3600 s (orphan timeout 3600 s)' }] },
        },
      ]);
  });

  it('leaves a run alone whose last heartbeat or write is within the timeout (a write that raced the scan wins)', () => {
    spec
      .given([created])
      .when({ kind: 'reap', now: 5_000 + HOUR - 1, orphanTimeoutMs: HOUR, lastActivityMs: 5_000 })
      .then([]);
  });

  it('without any recorded activity, counts from the start time', () => {
    spec
      .given([created])
      .when({ kind: 'reap', now: 1_000 + HOUR - 1, orphanTimeoutMs: HOUR, lastActivityMs: null })
      .then([]);
    const [killed] = decideRun(evolveRun(null, created) as RunState, { kind: 'reap', now: 1_000 + HOUR, orphanTimeoutMs: HOUR, lastActivityMs: null });
    expect(killed).toMatchObject({ type: T.runUpdated, data: { status: 'KILLED', endTime: 1_000 } });
  });

  it('never touches a finished or deleted run', () => {
    spec
      .given([created, finished])
      .when({ kind: 'reap', now: 10 * HOUR, orphanTimeoutMs: HOUR, lastActivityMs: 2_000 })
      .then([]);
    spec
      .given([created, deletedAt(3_000)])
      .when({ kind: 'reap', now: 10 * HOUR, orphanTimeoutMs: HOUR, lastActivityMs: 2_000 })
      .then([]);
  });
});

describe('garbage collection eligibility', () => {
  const cutoff = 10 * DAY_MS;

  it('purges a run deleted at or before the cutoff, carrying its experiment and deletion time', () => {
    spec
      .given([created, deletedAt(cutoff)])
      .when({ kind: 'purge', cutoff, references: [] })
      .then([{ type: T.runPurged, aggregateId: runId, data: { runId, experimentId: '1', deletedTime: cutoff } }]);
    expect(
      evolveRun(evolveRun(evolveRun(null, created), deletedAt(cutoff)), {
        type: T.runPurged,
        aggregateId: runId,
        data: { runId, experimentId: '1', deletedTime: cutoff },
      }),
    ).toBeNull();
  });

  it('keeps runs deleted within the retention, active runs and restored runs', () => {
    spec
      .given([created, deletedAt(cutoff + 1)])
      .when({ kind: 'purge', cutoff, references: [] })
      .then([]);
    spec.given([created]).when({ kind: 'purge', cutoff, references: [] }).then([]);
    spec
      .given([created, deletedAt(1), { type: T.runRestored, aggregateId: runId, data: { runId } }])
      .when({ kind: 'purge', cutoff, references: [] })
      .then([]);
  });

  it('refuses a run a live model version references, and names the versions', () => {
    const references = [
      { name: 'churn', version: '10' },
      { name: 'churn', version: '2' },
      { name: 'churn', version: '2' },
    ];
    spec
      .given([created, deletedAt(1)])
      .when({ kind: 'purge', cutoff, references })
      .then([]);
    expect(runGcVerdict({ lifecycleStage: 'deleted', deletedTime: 1 }, references, cutoff)).toEqual({
      kind: 'skip',
      reason: 'referenced by registered model versions churn/2, churn/10',
      modelVersions: [
        { name: 'churn', version: '2' },
        { name: 'churn', version: '10' },
      ],
    });
  });

  it('purges an experiment only once none of its runs is left, and says which run holds it', () => {
    const deleted: ExperimentState = { experimentId: '7', name: 'churn', lifecycleStage: 'deleted', tagKeys: new Set() };
    expect(decideExperiment(deleted, '7', { kind: 'purge', cutoff, deletedTime: 5, remainingRuns: [] })).toEqual([
      { type: T.experimentPurged, aggregateId: '7', data: { experimentId: '7', deletedTime: 5 } },
    ]);
    const held = { runId, why: whyRunStays({ lifecycleStage: 'deleted', deletedTime: 1 }, [{ name: 'churn', version: '1' }], cutoff) ?? '' };
    expect(decideExperiment(deleted, '7', { kind: 'purge', cutoff, deletedTime: 5, remainingRuns: [held] })).toEqual([]);
    expect(experimentGcVerdict({ lifecycleStage: 'deleted', deletedTime: 5 }, [held], cutoff)).toEqual({
      kind: 'skip',
      reason: `run ${runId} is not purged: referenced by registered model version churn/1`,
    });
    // Within retention, or restored: kept.
    expect(decideExperiment(deleted, '7', { kind: 'purge', cutoff, deletedTime: cutoff + 1, remainingRuns: [] })).toEqual([]);
    expect(decideExperiment({ ...deleted, lifecycleStage: 'active' }, '7', { kind: 'purge', cutoff, deletedTime: null, remainingRuns: [] })).toEqual([]);
    // The Default experiment is never purged.
    expect(decideExperiment({ ...deleted, experimentId: '0' }, '0', { kind: 'purge', cutoff, deletedTime: 5, remainingRuns: [] })).toEqual([]);
  });

  it('says why a run stays', () => {
    expect(whyRunStays({ lifecycleStage: 'active', deletedTime: null }, [], cutoff)).toBe('it is active');
    expect(whyRunStays({ lifecycleStage: 'deleted', deletedTime: cutoff + 1 }, [], cutoff)).toBe('it was deleted within the retention period');
    expect(whyRunStays({ lifecycleStage: 'deleted', deletedTime: cutoff }, [], cutoff)).toBeNull();
  });

  it('the cutoff is the retention, or older_than_days when given (0 = everything deleted until now)', () => {
    expect(gcCutoff(100 * DAY_MS, 30)).toBe(70 * DAY_MS);
    expect(gcCutoff(100 * DAY_MS, 30, 0)).toBe(100 * DAY_MS);
    expect(gcCutoff(100 * DAY_MS, 30, 0.5)).toBe(99.5 * DAY_MS);
  });
});
