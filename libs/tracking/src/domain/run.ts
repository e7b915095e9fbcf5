import { truncatedParamValue, truncatedTagValue } from './validation';
import {
  assertNever,
  CairnError,
  invalidParameter,
  notFound,
  TRACKING_EVENT_TYPES as T,
  type KeyValue,
  type MetricPoint,
  type RunStatus,
  type TrackingEvent,
} from '@cairn/contracts';
import { orphanVerdict, REAPED_REASON_TAG, runGcVerdict, type ModelVersionReference } from './lifecycle';

export const RUN_NAME_TAG = 'mlflow.runName';
export const LOG_MODEL_HISTORY_TAG = 'mlflow.log-model.history';

export type LifecycleStage = 'active' | 'deleted';

/** What the write side needs to know about a run to decide a command. */
export interface RunState {
  runId: string;
  experimentId: string;
  name: string;
  status: RunStatus;
  lifecycleStage: LifecycleStage;
  startTime: number;
  endTime: number | null;
  deletedTime: number | null;
  /** Values of the params named by the command (not necessarily all of the run's params). */
  params: ReadonlyMap<string, string>;
  /** Tags of the run named by the command (not necessarily all). */
  tags: ReadonlyMap<string, string>;
}

export type RunCommand =
  | { kind: 'update'; status?: RunStatus; endTime?: number; runName?: string }
  | { kind: 'delete'; now: number }
  | { kind: 'restore' }
  | { kind: 'logBatch'; metrics: MetricPoint[]; params: KeyValue[]; tags: KeyValue[] }
  | { kind: 'deleteTag'; key: string }
  | { kind: 'logInputs'; datasets: Extract<TrackingEvent, { type: typeof T.inputsLogged }>['data']['datasets']; modelIds: string[] }
  | { kind: 'logOutputs'; models: { modelId: string; step: number }[] }
  | { kind: 'logModel'; model: Record<string, unknown> }
  /** The orphan reaper; `lastActivityMs` is read under the run's row lock, so a concurrent write wins. */
  | { kind: 'reap'; now: number; orphanTimeoutMs: number; lastActivityMs: number | null }
  /** Garbage collection; `references` are the live model versions pointing at the run, read under its lock. */
  | { kind: 'purge'; cutoff: number; references: ModelVersionReference[] };

export interface CreateRunCommand {
  runId: string;
  experiment: { experimentId: string; lifecycleStage: LifecycleStage; artifactLocation: string } | null;
  requestedExperimentId: string;
  userId: string;
  startTime: number;
  runName: string | undefined;
  tags: KeyValue[];
  /** Used when neither `run_name` nor the `mlflow.runName` tag is given. */
  generatedName: string;
}

/** MLflow `create_run`: active experiment, `run_name` and the `mlflow.runName` tag agree, the tag is always present. */
export function decideCreateRun(cmd: CreateRunCommand): TrackingEvent[] {
  if (!cmd.experiment) throw notFound(`No Experiment with id=${cmd.requestedExperimentId} exists`);
  if (cmd.experiment.lifecycleStage !== 'active') {
    throw invalidParameter(`The experiment ${cmd.experiment.experimentId} must be in the 'active' state. Current state is ${cmd.experiment.lifecycleStage}.`);
  }
  const tags = lastValuePerKey(cmd.tags).map(truncatedTag);
  const tagName = tags.find((t) => t.key === RUN_NAME_TAG)?.value;
  if (cmd.runName !== undefined && cmd.runName !== '' && tagName !== undefined && tagName !== cmd.runName) {
    throw invalidParameter(
      `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${cmd.runName}', mlflow.runName='${tagName}').`,
    );
  }
  const name = cmd.runName || tagName || cmd.generatedName;
  const withName = tagName === undefined ? [...tags, { key: RUN_NAME_TAG, value: name }] : tags;
  return [
    {
      type: T.runCreated,
      aggregateId: cmd.runId,
      data: {
        runId: cmd.runId,
        experimentId: cmd.experiment.experimentId,
        name,
        userId: cmd.userId,
        status: 'RUNNING',
        startTime: cmd.startTime,
        artifactUri: `${cmd.experiment.artifactLocation}/${cmd.runId}/artifacts`,
        tags: withName,
      },
    },
  ];
}

const truncatedTag = (tag: KeyValue): KeyValue => ({ key: tag.key, value: truncatedTagValue(tag.value) });

function assertActive(state: RunState): void {
  if (state.lifecycleStage !== 'active') {
    throw invalidParameter(`The run ${state.runId} must be in the 'active' state. Current state is ${state.lifecycleStage}.`);
  }
}

/** Decides a command on an existing run. Deleted runs are readable but refuse every write except restore/delete. */
export function decideRun(state: RunState, cmd: RunCommand): TrackingEvent[] {
  const runId = state.runId;
  switch (cmd.kind) {
    case 'update': {
      assertActive(state);
      const data: { runId: string; status?: RunStatus; endTime?: number; name?: string } = { runId };
      if (cmd.status !== undefined) data.status = cmd.status;
      if (cmd.endTime !== undefined) data.endTime = cmd.endTime;
      if (cmd.runName !== undefined && cmd.runName !== '') data.name = cmd.runName;
      return [{ type: T.runUpdated, aggregateId: runId, data }];
    }
    case 'delete':
      return [{ type: T.runDeleted, aggregateId: runId, data: { runId, deletedTime: cmd.now } }];
    case 'restore':
      return [{ type: T.runRestored, aggregateId: runId, data: { runId } }];
    case 'logBatch': {
      assertActive(state);
      const events: TrackingEvent[] = [];
      const newParams = decideParams(
        state,
        cmd.params.map((p) => ({ key: p.key, value: truncatedParamValue(p.value) })),
      );
      if (cmd.metrics.length > 0) events.push({ type: T.metricsLogged, aggregateId: runId, data: { runId, metrics: cmd.metrics } });
      if (newParams.length > 0) events.push({ type: T.paramsLogged, aggregateId: runId, data: { runId, params: newParams } });
      if (cmd.tags.length > 0) events.push({ type: T.tagsSet, aggregateId: runId, data: { runId, tags: lastValuePerKey(cmd.tags).map(truncatedTag) } });
      return events;
    }
    case 'deleteTag':
      assertActive(state);
      if (!state.tags.has(cmd.key)) throw notFound(`No tag with name: ${cmd.key} in run with id ${runId}`);
      return [{ type: T.tagDeleted, aggregateId: runId, data: { runId, key: cmd.key } }];
    case 'logInputs':
      assertActive(state);
      if (cmd.datasets.length === 0 && cmd.modelIds.length === 0) return [];
      return [
        {
          type: T.inputsLogged,
          aggregateId: runId,
          data: {
            runId,
            experimentId: state.experimentId,
            datasets: cmd.datasets.map((d) => ({ ...d, tags: lastValuePerKey(d.tags) })),
            modelIds: [...new Set(cmd.modelIds)],
          },
        },
      ];
    case 'logOutputs':
      assertActive(state);
      return [{ type: T.outputsLogged, aggregateId: runId, data: { runId, models: cmd.models } }];
    case 'logModel':
      assertActive(state);
      return [{ type: T.modelLogged, aggregateId: runId, data: { runId, model: cmd.model } }];
    case 'reap': {
      // Not orphaned (any more) is no error: the reaper's candidate list was read without locks.
      const verdict = orphanVerdict({ ...state, lastActivityMs: cmd.lastActivityMs }, cmd);
      if (!verdict.orphaned) return [];
      return [
        { type: T.runUpdated, aggregateId: runId, data: { runId, status: 'KILLED', endTime: verdict.endTime } },
        { type: T.tagsSet, aggregateId: runId, data: { runId, tags: [{ key: REAPED_REASON_TAG, value: verdict.reason }] } },
      ];
    }
    case 'purge': {
      const verdict = runGcVerdict(state, cmd.references, cmd.cutoff);
      if (verdict.kind !== 'purge' || state.deletedTime === null) return [];
      return [{ type: T.runPurged, aggregateId: runId, data: { runId, experimentId: state.experimentId, deletedTime: state.deletedTime } }];
    }
    default:
      return assertNever(cmd);
  }
}

/**
 * Params are write-once: re-logging the same value is a no-op (client retries), a different value is
 * refused. Duplicate keys inside one request are refused before this (MLflow does the same).
 */
function decideParams(state: RunState, params: KeyValue[]): KeyValue[] {
  const first = params.find((p) => state.params.has(p.key) && state.params.get(p.key) !== p.value);
  if (first) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Changing param values is not allowed. Param with key='${first.key}' was already logged with value='${state.params.get(first.key)}' for run ID='${state.runId}'. Attempted logging new value '${first.value}'.`,
    );
  }
  return params.filter((p) => !state.params.has(p.key));
}

/** Last write wins for tags inside one request; order of first appearance is kept. */
export function lastValuePerKey(entries: KeyValue[]): KeyValue[] {
  const byKey = new Map<string, string>();
  for (const e of entries) byKey.set(e.key, e.value);
  return [...byKey].map(([key, value]) => ({ key, value }));
}

/** Pure projection of a run's lifecycle; the SQL read model applies the same rules (infra/projection.ts). */
export function evolveRun(state: RunState | null, event: TrackingEvent): RunState | null {
  if (event.type === T.runCreated) {
    const d = event.data;
    return {
      runId: d.runId,
      experimentId: d.experimentId,
      name: d.name,
      status: d.status,
      lifecycleStage: 'active',
      startTime: d.startTime,
      endTime: null,
      deletedTime: null,
      params: new Map(),
      tags: new Map(d.tags.map((t) => [t.key, t.value])),
    };
  }
  if (!state) return state;
  switch (event.type) {
    case T.runUpdated: {
      const d = event.data;
      const tags = new Map(state.tags);
      if (d.name !== undefined) tags.set(RUN_NAME_TAG, d.name);
      return { ...state, status: d.status ?? state.status, endTime: d.endTime ?? state.endTime, name: d.name ?? state.name, tags };
    }
    case T.runDeleted:
      return { ...state, lifecycleStage: 'deleted', deletedTime: event.data.deletedTime };
    case T.runRestored:
      return { ...state, lifecycleStage: 'active', deletedTime: null };
    case T.runPurged:
      return null;
    case T.paramsLogged: {
      const params = new Map(state.params);
      for (const p of event.data.params) if (!params.has(p.key)) params.set(p.key, p.value);
      return { ...state, params };
    }
    case T.tagsSet: {
      const tags = new Map(state.tags);
      for (const t of event.data.tags) tags.set(t.key, t.value);
      return { ...state, tags, name: tags.get(RUN_NAME_TAG) ?? state.name };
    }
    case T.tagDeleted: {
      const tags = new Map(state.tags);
      tags.delete(event.data.key);
      return { ...state, tags };
    }
    case T.experimentDeleted:
      return { ...state, lifecycleStage: 'deleted', deletedTime: event.data.deletedTime };
    case T.experimentRestored:
      return { ...state, lifecycleStage: 'active', deletedTime: null };
    // Events that do not change what the run decider looks at.
    case T.experimentCreated:
    case T.experimentRenamed:
    case T.experimentTagSet:
    case T.experimentTagDeleted:
    case T.experimentPurged:
    case T.metricsLogged:
    case T.inputsLogged:
    case T.outputsLogged:
    case T.modelLogged:
    case T.loggedModelCreated:
    case T.loggedModelFinalized:
    case T.loggedModelDeleted:
    case T.loggedModelTagsSet:
    case T.loggedModelTagDeleted:
    case T.loggedModelParamsLogged:
    case T.traceLogged:
    case T.traceTagSet:
    case T.traceTagDeleted:
    case T.traceDeleted:
    case T.traceAssessmentSet:
    case T.traceAssessmentDeleted:
      return state;
    default:
      return assertNever(event);
  }
}
