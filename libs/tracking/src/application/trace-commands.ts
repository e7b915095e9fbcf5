import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { alreadyExists, CairnError, invalidParameter, type EventMetadata, type TraceAssessment, type TrackingEvent, snakeCase } from '@cairn/contracts';
import { CommandHandler, EventStore, type Clock, type Loaded } from '@cairn/eventing';
import { Database, type UnitOfWork } from '@cairn/platform';
import {
  decideLogTrace,
  decideTrace,
  isAssessmentId,
  isTraceId,
  traceAggregateId,
  timeOf,
  toTimestamp,
  type LoggedTraceInfo,
  type TraceAggregate,
  type TraceCommand,
} from '../domain/trace';
import { project } from '../infra/projection';
import { TraceStore } from '../infra/trace-store';
import { TrackingStore } from '../infra/tracking-store';
import { TRACKING_CLOCK } from './ports';
import { conflict } from './tracking-commands';

/** Fields of a stored assessment an update mask may not touch. */
const ASSESSMENT_IDENTITY_FIELDS = new Set(['assessment_id', 'trace_id', 'create_time']);

/**
 * The largest trace event accepted. Events travel as one Kafka message each (the brokers' default
 * limit is 1 MB), and one the relay cannot publish would hold back every tracking event after it;
 * previews, tags and metadata make a trace's info, so a client sending megabytes of them is refused.
 */
const MAX_TRACE_EVENT_BYTES = 512 * 1024;

function withinEventSize(events: TrackingEvent[]): TrackingEvent[] {
  for (const event of events) {
    const bytes = Buffer.byteLength(JSON.stringify(event.data));
    if (bytes > MAX_TRACE_EVENT_BYTES)
      throw invalidParameter(
        `Trace info is too large (${bytes} bytes; at most ${MAX_TRACE_EVENT_BYTES}): shorten its request/response previews, tags or metadata.`,
      );
  }
  return events;
}

/** MLflow's assessment ids: `a-` and 32 hex digits. */
export const newAssessmentId = () => `a-${randomUUID().replace(/-/g, '')}`;

/**
 * Trace writes: one trace is one aggregate, loaded under its row lock with its version, decided by
 * the pure trace decider, appended to tracking.events and projected in the same transaction, through
 * the loop every context shares (`CommandHandler`).
 */
@Injectable()
export class TraceCommands {
  private readonly handler: CommandHandler;

  constructor(
    @Inject(Database) db: Database,
    @Inject(TraceStore) private readonly traces: TraceStore,
    @Inject(TrackingStore) private readonly tracking: TrackingStore,
    @Inject(EventStore) private readonly eventStore: EventStore,
    @Inject(TRACKING_CLOCK) private readonly clock: Clock,
  ) {
    this.handler = new CommandHandler(db, eventStore, 'tracking', { onConflict: conflict, clock });
  }

  private async handle<State, R>(
    traceId: string,
    load: (uow: UnitOfWork) => Promise<Loaded<State>>,
    decide: (state: State, uow: UnitOfWork) => TrackingEvent[],
    result: (loaded: Loaded<State>) => R,
    metadata: EventMetadata,
  ): Promise<R> {
    const { result: r } = await this.handler.handle(
      {
        aggregateId: traceAggregateId(traceId),
        load,
        decide,
        result,
        project: async (uow, events, loaded) => {
          for (const event of events) await project(uow, event);
          await this.traces.setVersion(uow, traceId, (loaded.version ?? 0) + events.length);
        },
      },
      metadata,
    );
    return r;
  }

  /** StartTraceV3: the trace as logged, in the experiment given (merged into the stored one if any). */
  async logTrace(experimentId: string, info: LoggedTraceInfo, metadata: EventMetadata): Promise<void> {
    await this.handle(
      info.traceId,
      async (uow) => {
        const existing = await this.traces.lockTrace(uow, info.traceId);
        const experiment = await this.tracking.lockExperiment(uow, experimentId, 'share');
        return {
          state: { existing: existing?.state ?? null, experiment },
          version: existing?.version ?? (await this.deletedVersion(uow, info.traceId, experimentId)),
        };
      },
      ({ existing, experiment }) =>
        withinEventSize(
          decideLogTrace({
            info,
            existing,
            requestedExperimentId: experimentId,
            experiment: experiment ? { ...experiment.state, artifactLocation: experiment.artifactLocation } : null,
          }),
        ),
      () => undefined,
      metadata,
    );
  }

  /**
   * The stream version of a trace id with no stored trace: 0 for a new one; for one logged before and
   * deleted since, its last version, so that logging it again appends after it. A trace never moves:
   * an id once used in one experiment is refused in another (access checks remember a trace's
   * experiment by its id).
   */
  private async deletedVersion(uow: UnitOfWork, traceId: string, experimentId: string): Promise<number> {
    const stream = await this.eventStore.readStream(uow, 'tracking', traceAggregateId(traceId));
    const first = stream[0]?.data as { experimentId?: unknown } | undefined;
    if (first !== undefined && first.experimentId !== experimentId) throw alreadyExists(`Trace ID '${traceId}' is already used.`);
    return stream.at(-1)?.aggregateVersion ?? 0;
  }

  async onTrace<R = void>(traceId: string, cmd: TraceCommand, metadata: EventMetadata, result?: (state: TraceAggregate | null) => R): Promise<R> {
    return this.handle<TraceAggregate | null, R>(
      traceId,
      async (uow) => {
        // An id no trace can have (NUL, a slash) is not looked up: it is not found.
        const loaded = isTraceId(traceId) ? await this.traces.lockTrace(uow, traceId) : null;
        return { state: loaded?.state ?? null, version: loaded?.version ?? 0 };
      },
      (state) => decideTrace(state, traceId, cmd),
      ({ state }) => (result ? result(state) : (undefined as R)),
      metadata,
    );
  }

  setTag(traceId: string, key: string, value: string, metadata: EventMetadata) {
    return this.onTrace(traceId, { kind: 'setTag', key, value }, metadata);
  }

  deleteTag(traceId: string, key: string, metadata: EventMetadata) {
    return this.onTrace(traceId, { kind: 'deleteTag', key }, metadata);
  }

  /**
   * delete-traces: by ids (only those of the experiment) or every trace up to a time, oldest first,
   * at most `maxTraces`. One transaction per trace: each is its own aggregate. Answers how many went.
   */
  async deleteTraces(
    experimentId: string,
    select: { traceIds: string[] } | { maxTimestampMillis: number; maxTraces: number },
    metadata: EventMetadata,
  ): Promise<number> {
    const ids =
      'traceIds' in select
        ? await this.traces.traceIdsIn(experimentId, select.traceIds)
        : await this.traces.traceIdsUpTo(experimentId, select.maxTimestampMillis, select.maxTraces);
    let deleted = 0;
    for (const traceId of ids) {
      // A trace deleted meanwhile by someone else is not counted.
      const gone = await this.onTrace(traceId, { kind: 'delete' }, metadata).then(
        () => true,
        (error: unknown) => {
          if (error instanceof CairnError && error.code === 'RESOURCE_DOES_NOT_EXIST') return false;
          throw error;
        },
      );
      if (gone) deleted++;
    }
    return deleted;
  }

  /** CreateAssessment: the server names it and stamps its times unless the client did (as MLflow's). */
  async createAssessment(traceId: string, body: Record<string, unknown>, metadata: EventMetadata): Promise<Record<string, unknown>> {
    const now = this.clock.now();
    const given = body['assessment_id'];
    // The client names assessments logged with a trace (so a retried StartTraceV3 does not add them twice).
    const assessmentId = given === undefined || given === '' ? newAssessmentId() : given;
    if (typeof assessmentId !== 'string' || !isAssessmentId(assessmentId))
      throw invalidParameter(`Invalid assessment ID ${JSON.stringify(assessmentId).slice(0, 200)}.`);
    const createTime = timeOf(body['create_time']) ?? now;
    const lastUpdateTime = timeOf(body['last_update_time']) ?? createTime;
    const assessment: TraceAssessment = {
      assessmentId,
      name: typeof body['assessment_name'] === 'string' ? body['assessment_name'] : '',
      createTime,
      lastUpdateTime,
      body: {
        ...body,
        assessment_id: assessmentId,
        trace_id: traceId,
        create_time: toTimestamp(createTime),
        last_update_time: toTimestamp(lastUpdateTime),
        valid: body['valid'] ?? true,
      },
    };
    await this.onTrace(traceId, { kind: 'createAssessment', assessment }, metadata);
    return assessment.body;
  }

  /** UpdateAssessment: the fields named in `update_mask` (camelCase, as protobuf's FieldMask) replace the stored ones. */
  async updateAssessment(
    traceId: string,
    assessmentId: string,
    patch: Record<string, unknown>,
    mask: string[],
    metadata: EventMetadata,
  ): Promise<Record<string, unknown>> {
    const now = this.clock.now();
    return this.onTrace(
      traceId,
      {
        kind: 'updateAssessment',
        assessmentId,
        patch: (current) => {
          const body = { ...current.body };
          for (const field of mask.map(snakeCase)) {
            // What names the assessment and where it belongs is the server's, never the patch's.
            if (ASSESSMENT_IDENTITY_FIELDS.has(field)) continue;
            if (patch[field] === undefined) delete body[field];
            else body[field] = patch[field];
          }
          // A feedback and an expectation are one `value` oneof: setting one clears the other.
          if (mask.map(snakeCase).includes('feedback')) delete body['expectation'];
          if (mask.map(snakeCase).includes('expectation')) delete body['feedback'];
          body['last_update_time'] = toTimestamp(now);
          return { ...current, name: typeof body['assessment_name'] === 'string' ? body['assessment_name'] : current.name, lastUpdateTime: now, body };
        },
      },
      metadata,
    ).then(async () => (await this.traces.assessment(traceId, assessmentId)) ?? {});
  }

  deleteAssessment(traceId: string, assessmentId: string, metadata: EventMetadata) {
    return this.onTrace(traceId, { kind: 'deleteAssessment', assessmentId }, metadata);
  }
}
