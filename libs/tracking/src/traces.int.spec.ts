import type { EventMetadata, ReadScope } from '@cairn/contracts';
import { EventStore, snapshotTables } from '@cairn/eventing';
import { Database } from '@cairn/platform';
import { createTestDatabase, type TestDatabase } from '@cairn/testing';
import { TraceCommands } from './application/trace-commands';
import { TraceQueries } from './application/trace-queries';
import { TrackingCommands } from './application/tracking-commands';
import type { LoggedTraceInfo } from './domain/trace';
import { rebuildTrackingReadModel } from './infra/read-model-rebuild';
import { TraceStore } from './infra/trace-store';
import { TrackingStore } from './infra/tracking-store';

const meta: EventMetadata = { actor: 'test', correlationId: null, causationId: null };
const everything: ReadScope = { kind: 'all' };
const TRACE_TABLES = ['tracking.traces', 'tracking.trace_tags', 'tracking.trace_metadata', 'tracking.trace_assessments'];

describe('traces in the tracking store (Postgres, events, read model)', () => {
  let testDb: TestDatabase;
  let db: Database;
  let tracking: TrackingCommands;
  let commands: TraceCommands;
  let queries: TraceQueries;
  let experimentId: string;
  let now = Date.parse('2026-03-01T00:00:00Z');

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: true });
    db = new Database(testDb.url, { max: 5 });
    const clock = { now: () => (now += 1000) };
    const store = new TrackingStore(db);
    const traceStore = new TraceStore(db);
    tracking = new TrackingCommands(db, store, new EventStore(), clock);
    commands = new TraceCommands(db, traceStore, store, new EventStore(), clock);
    queries = new TraceQueries(traceStore);
    experimentId = await tracking.createExperiment({ name: 'traced', tags: [] }, meta);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  const trace = (n: number, fields: Partial<LoggedTraceInfo> = {}): LoggedTraceInfo => ({
    traceId: `tr-${String(n).padStart(32, '0')}`,
    requestTime: Date.parse('2026-03-01T00:00:00Z') + n * 1000,
    executionDuration: 250 + n,
    state: 'OK',
    metadata: [],
    tags: [],
    assessments: [],
    ...fields,
  });
  const ids = async (filter?: string, orderBy?: string[]) =>
    (await queries.search([experimentId], everything, { filter, orderBy })).rows.map((t) => Number(t.traceId.slice(3)));

  it('stores a trace as logged, links it to its run and says where its spans go', async () => {
    const runId = await tracking.createRun({ experimentId, userId: 'ana', tags: [] }, meta);
    await commands.logTrace(
      experimentId,
      trace(1, {
        requestPreview: '{"q": 1}',
        responsePreview: '2',
        clientRequestId: 'req-1',
        metadata: [
          { key: 'mlflow.sourceRun', value: runId },
          { key: 'mlflow.user', value: 'ana' },
        ],
        tags: [{ key: 'mlflow.traceName', value: 'answer' }],
      }),
      meta,
    );
    const stored = await queries.trace(trace(1).traceId);
    expect(stored).toEqual({
      traceId: trace(1).traceId,
      experimentId,
      requestTime: trace(1).requestTime,
      executionDuration: 251,
      state: 'OK',
      requestPreview: '{"q": 1}',
      responsePreview: '2',
      clientRequestId: 'req-1',
      metadata: { 'mlflow.sourceRun': runId, 'mlflow.user': 'ana' },
      tags: { 'mlflow.traceName': 'answer', 'mlflow.artifactLocation': `mlflow-artifacts:/${experimentId}/traces/${trace(1).traceId}/artifacts` },
      assessments: [],
    });
    expect(await ids(`run_id = '${runId}'`)).toEqual([1]);
    // The same trace logged again (a retried request) is merged, not duplicated.
    await commands.logTrace(experimentId, trace(1, { state: 'ERROR', tags: [{ key: 'extra', value: 'x' }] }), meta);
    expect((await queries.trace(trace(1).traceId)).state).toBe('ERROR');
    expect((await queries.trace(trace(1).traceId)).tags['mlflow.traceName']).toBe('answer');
    expect(await ids()).toEqual([1]);
  });

  it('refuses a trace in an experiment that does not exist or is deleted', async () => {
    await expect(commands.logTrace('987654', trace(99), meta)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    const gone = await tracking.createExperiment({ name: 'gone', tags: [] }, meta);
    await tracking.deleteExperiment(gone, meta);
    await expect(commands.logTrace(gone, trace(98), meta)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('searches with the filter grammar over attributes, tags and metadata, newest first, in pages', async () => {
    for (let n = 2; n <= 8; n++) {
      await commands.logTrace(
        experimentId,
        trace(n, {
          state: n % 2 === 0 ? 'OK' : 'ERROR',
          tags: [{ key: 'parity', value: n % 2 === 0 ? 'even' : 'odd' }],
          metadata: [{ key: 'batch', value: `b${n}` }],
        }),
        meta,
      );
    }
    await commands.setTag(trace(4).traceId, 'reviewed', 'yes', meta);
    expect(await ids()).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(await ids("tags.parity = 'odd'")).toEqual([7, 5, 3]);
    expect(await ids("status = 'ERROR' AND tags.parity = 'odd'")).toEqual([7, 5, 3]);
    expect(await ids("attributes.status = 'OK'")).toEqual([8, 6, 4, 2]);
    expect(await ids(`timestamp_ms >= ${trace(6).requestTime}`)).toEqual([8, 7, 6]);
    expect(await ids('execution_time_ms < 254')).toEqual([3, 2, 1]);
    expect(await ids("metadata.batch LIKE 'b%' AND request_metadata.batch != 'b5'")).toEqual([8, 7, 6, 4, 3, 2]);
    expect(await ids("tags.reviewed = 'yes'")).toEqual([4]);
    expect(await ids("trace_id IN ('tr-00000000000000000000000000000002', 'tr-00000000000000000000000000000003')")).toEqual([3, 2]);
    expect(await ids(undefined, ['timestamp_ms ASC'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await expect(ids('spans.name = "x"')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });

    const walked: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await queries.search([experimentId], everything, { maxResults: 3, pageToken });
      expect(page.rows.length).toBeLessThanOrEqual(3);
      walked.push(...page.rows.map((t) => t.traceId));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(walked.map((id) => Number(id.slice(3)))).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    // Only experiments the caller may read.
    expect((await queries.search([experimentId], { kind: 'only', ids: ['12345'] }, {})).rows).toEqual([]);
  });

  it('keeps tags, assessments and deletes through events, and the read model rebuilds to the same rows', async () => {
    const id = trace(2).traceId;
    await commands.setTag(id, 'color', 'red', meta);
    await commands.deleteTag(id, 'color', meta);
    await expect(commands.deleteTag(id, 'color', meta)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(commands.setTag(id, 'mlflow.artifactLocation', 's3://elsewhere', meta)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });

    const feedback = await commands.createAssessment(id, { assessment_name: 'helpful', feedback: { value: true }, source: { source_type: 'HUMAN' } }, meta);
    const assessmentId = String(feedback['assessment_id']);
    expect(assessmentId).toMatch(/^a-[0-9a-f]{32}$/);
    const updated = await commands.updateAssessment(id, assessmentId, { feedback: { value: false } }, ['feedback'], meta);
    expect(updated).toMatchObject({ assessment_id: assessmentId, assessment_name: 'helpful', feedback: { value: false }, source: { source_type: 'HUMAN' } });
    const expectation = await commands.createAssessment(id, { assessment_name: 'expected', expectation: { value: 'x' } }, meta);
    await commands.deleteAssessment(id, String(expectation['assessment_id']), meta);
    expect((await queries.trace(id)).assessments).toEqual([updated]);
    await expect(commands.updateAssessment(id, 'a-missing', {}, ['feedback'], meta)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });

    // delete-traces up to a time: oldest first, at most max_traces; by ids: only the experiment's.
    expect(await commands.deleteTraces(experimentId, { maxTimestampMillis: trace(5).requestTime, maxTraces: 2 }, meta)).toBe(2);
    expect(await ids()).toEqual([8, 7, 6, 5, 4, 3]);
    expect(await commands.deleteTraces(experimentId, { traceIds: [trace(3).traceId, 'tr-elsewhere'] }, meta)).toBe(1);
    await expect(queries.trace(trace(3).traceId)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });

    const before = await snapshotTables(db, TRACE_TABLES);
    await db.transaction((tx) => rebuildTrackingReadModel(tx));
    expect(await snapshotTables(db, TRACE_TABLES)).toEqual(before);
    // Commands carry on after the rebuild (versions restored).
    await commands.setTag(trace(4).traceId, 'after', 'rebuild', meta);
    expect((await queries.trace(trace(4).traceId)).tags['after']).toBe('rebuild');
  });

  it("keeps one trace's assessments out of another's reach, even under the same client-chosen id", async () => {
    const other = await tracking.createExperiment({ name: 'traced-elsewhere', tags: [] }, meta);
    await commands.logTrace(experimentId, trace(70), meta);
    await commands.logTrace(other, trace(71), meta);
    await commands.createAssessment(trace(70).traceId, { assessment_id: 'a-shared', assessment_name: 'victim', feedback: { value: 1 } }, meta);
    // Someone who may write only the other experiment's trace reuses the id they can read.
    await commands.createAssessment(trace(71).traceId, { assessment_id: 'a-shared', assessment_name: 'forged', feedback: { value: 0 } }, meta);
    const victim = await queries.trace(trace(70).traceId);
    expect(victim?.assessments.map((a) => [a['assessment_id'], a['assessment_name'], a['trace_id']])).toEqual([['a-shared', 'victim', trace(70).traceId]]);
    // An update mask cannot move or rename an assessment.
    await commands.updateAssessment(
      trace(70).traceId,
      'a-shared',
      { trace_id: trace(71).traceId, assessment_id: 'x', rationale: 'ok' },
      ['traceId', 'assessmentId', 'rationale'],
      meta,
    );
    const updated = (await queries.trace(trace(70).traceId))?.assessments[0];
    expect([updated?.['trace_id'], updated?.['assessment_id'], updated?.['rationale']]).toEqual([trace(70).traceId, 'a-shared', 'ok']);
  });

  it('takes a deleted trace id again in its own experiment only, and trace ids never collide with other aggregates', async () => {
    await commands.logTrace(experimentId, trace(80), meta);
    expect(await commands.deleteTraces(experimentId, { traceIds: [trace(80).traceId] }, meta)).toBe(1);
    await commands.logTrace(experimentId, trace(80, { responsePreview: 'again' }), meta);
    expect((await queries.trace(trace(80).traceId))?.responsePreview).toBe('again');
    const other = await tracking.createExperiment({ name: 'traced-third', tags: [] }, meta);
    expect(await commands.deleteTraces(experimentId, { traceIds: [trace(80).traceId] }, meta)).toBe(1);
    await expect(commands.logTrace(other, trace(80), meta)).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });

    // Ids an experiment or a run will have (a number, 32 hex digits) are just trace ids.
    const nextExperiment = String(Number(other) + 1);
    await commands.logTrace(experimentId, { ...trace(81), traceId: nextExperiment }, meta);
    await expect(tracking.createExperiment({ name: 'created-after-a-numeric-trace', tags: [] }, meta)).resolves.toBe(nextExperiment);
    const runLike = 'f'.repeat(32);
    await commands.logTrace(experimentId, { ...trace(82), traceId: runLike }, meta);
    expect((await queries.trace(runLike))?.experimentId).toBe(experimentId);
  });

  it('refuses a trace whose info would not fit one event message', async () => {
    const huge = trace(90, { requestPreview: 'x'.repeat(600 * 1024) });
    await expect(commands.logTrace(experimentId, huge, meta)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(queries.trace(huge.traceId)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('purging an experiment takes its traces with it', async () => {
    const purged = await tracking.createExperiment({ name: 'purged', tags: [] }, meta);
    await commands.logTrace(purged, trace(50, { tags: [{ key: 'a', value: 'b' }], metadata: [{ key: 'm', value: 'n' }] }), meta);
    await tracking.deleteExperiment(purged, meta);
    await tracking.purgeExperiment(purged, now + 1, meta);
    const left = await db.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM tracking.traces WHERE trace_id = $1) + (SELECT count(*) FROM tracking.trace_tags WHERE trace_id = $1)
            + (SELECT count(*) FROM tracking.trace_metadata WHERE trace_id = $1) AS n`,
      [trace(80).traceId],
    );
    expect(Number(left.rows[0]?.n)).toBe(0);
  });
});
