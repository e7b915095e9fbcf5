import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startService, type RunningService } from '@cairn/runtime';
import { CairnClient, type ReadModelRebuildWire } from '@cairn/sdk';
import { createTestDatabase, waitFor, type TestDatabase } from '@cairn/testing';
import { serverDefinition } from './server.definition';

const SEEDED_RUNS = 8;
const POINTS = 40;

describe('online read-model rebuild and event export over the admin API (all-in-one server, real Postgres)', () => {
  let db: TestDatabase;
  let home: string;
  let service: RunningService;
  let client: CairnClient;
  let sql: Client;
  let experimentId: string;
  let seeded: string[];

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    home = mkdtempSync(path.join(os.tmpdir(), 'cairn-rebuild-'));
    service = await startService(serverDefinition, { CAIRN_DATABASE_URL: db.url, CAIRN_HOME: home, CAIRN_PORT: '0', CAIRN_LOG_LEVEL: 'silent' });
    client = new CairnClient({ trackingUri: service.url });
    sql = new Client({ connectionString: db.url });
    await sql.connect();

    // A log of some hundreds of events: a metric point per request.
    experimentId = await client.createExperiment('rebuild');
    seeded = [];
    for (let i = 0; i < SEEDED_RUNS; i++) seeded.push((await client.createRun({ experimentId, runName: `seeded-${i}` })).info.run_id);
    await Promise.all(
      seeded.map(async (runId) => {
        for (let step = 0; step < POINTS; step++) await client.logMetric(runId, 'loss', 1 / (step + 1), { step });
        await client.logParam(runId, 'lr', '0.1');
      }),
    );
    const weights = path.join(home, 'weights.bin');
    writeFileSync(weights, 'weights');
    await client.uploadArtifact(seeded[0], weights, 'model');
    await client.createRegisteredModel('rebuilt-model');
    await client.createModelVersion('rebuilt-model', `runs:/${seeded[0]}/model`, { runId: seeded[0] });
  }, 180_000);
  afterAll(async () => {
    await sql?.end();
    await service?.stop();
    await db?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  it('rebuilds tracking while writes continue: readers keep answering with whole data, no acknowledged write is lost, and the result equals a rebuild', async () => {
    const live = (await client.createRun({ experimentId, runName: 'live' })).info.run_id;
    const acknowledged: number[] = [];
    const createdRuns: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let step = 0; writing; step++) {
        await client.logMetric(live, 'acc', step / 1000, { step });
        acknowledged.push(step);
        if (step % 25 === 0) createdRuns.push((await client.createRun({ experimentId, runName: `during-${step}` })).info.run_id);
      }
    })();
    // Readers during the rebuild: each answer is the whole read model, never a half-built one.
    const partial: string[] = [];
    let reads = 0;
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const runs = (await client.searchRuns({ experimentIds: [experimentId], maxResults: 1000 })).items;
        const seededSeen = runs.filter((r) => r.info.run_name?.startsWith('seeded-')).length;
        const history = await client.getMetricHistory(seeded[SEEDED_RUNS - 1], 'loss');
        if (seededSeen !== SEEDED_RUNS || history.length !== POINTS) partial.push(`${seededSeen} seeded runs, ${history.length} points`);
        reads++;
      }
    })();

    // Stopped whatever happens: a writer left running outlives the server and fails a later test file.
    const stop = async () => {
      writing = false;
      reading = false;
      return Promise.allSettled([writer, reader]);
    };
    let started: ReadModelRebuildWire;
    let done: ReadModelRebuildWire;
    const seen: ReadModelRebuildWire[] = [];
    let readsDuringRebuild: number;
    let settled: PromiseSettledResult<void>[];
    try {
      await waitFor(() => (acknowledged.length >= 20 ? true : undefined), { timeoutMs: 30_000 });
      // A reader's ROW SHARE lock on the first live table holds the first rebuild before its swap (it does
      // not stop writers): the second start below meets a rebuild still running, however fast this one is.
      const holder = new Client({ connectionString: db.url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE tracking.experiments IN ROW SHARE MODE');
        started = await client.rebuildReadModel('tracking');
        expect(started).toMatchObject({ context: 'tracking', state: 'running', phase: 'building', events_applied: 0, started_by: expect.any(String) });
        expect(started.events_total).toBeGreaterThan(SEEDED_RUNS * POINTS);
        // One rebuild per context at a time: refused at once, not queued until the first ends.
        const before = Date.now();
        await expect(client.rebuildReadModel('tracking')).rejects.toMatchObject({ errorCode: 'INVALID_STATE' });
        expect(Date.now() - before).toBeLessThan(5_000);
        expect(await client.getReadModelRebuild('tracking')).toMatchObject({ state: 'running', started_at: started.started_at });
      } finally {
        await holder.end();
      }

      done = await waitFor(
        async () => {
          const progress = await client.getReadModelRebuild('tracking');
          seen.push(progress);
          return progress.state === 'running' ? undefined : progress;
        },
        { timeoutMs: 120_000, intervalMs: 20 },
      );
      readsDuringRebuild = reads;
    } finally {
      settled = await stop();
    }
    for (const loop of settled) if (loop.status === 'rejected') throw loop.reason;

    expect(done).toMatchObject({ state: 'succeeded', phase: 'done', error: null });
    expect(done.events_applied).toBe(done.events_total);
    // Writes committed during the build were caught up: the total grew past the log at the start.
    expect(done.events_total).toBeGreaterThan(started.events_total);
    for (let i = 1; i < seen.length; i++) expect(seen[i].events_applied).toBeGreaterThanOrEqual(seen[i - 1].events_applied);
    expect(readsDuringRebuild).toBeGreaterThan(0);
    expect(partial).toEqual([]);

    // Every acknowledged write is readable after the swap.
    const history = await client.getMetricHistory(live, 'acc');
    expect(history.map((m) => Number(m.step)).sort((a, b) => a - b)).toEqual(acknowledged);
    for (const runId of createdRuns) expect((await client.getRun(runId)).info.run_id).toBe(runId);

    const verified = await client.verifyReadModel('tracking');
    expect({ consistent: verified.consistent, differences: verified.differences }).toEqual({ consistent: true, differences: [] });

    // Progress as Prometheus metrics, named as the others are.
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const sample = (name: string, labels: string) => new RegExp(`^${name}\\{${labels}(,service="server")?\\} (\\d+)$`, 'm').exec(metrics)?.[2];
    expect(sample('cairn_read_model_rebuild_events_applied', 'context="tracking"')).toBe(String(done.events_applied));
    expect(sample('cairn_read_model_rebuild_events_total', 'context="tracking"')).toBe(String(done.events_total));
    expect(sample('cairn_read_model_rebuild_running', 'context="tracking"')).toBe('0');
    expect(sample('cairn_read_model_rebuilds_total', 'context="tracking",outcome="succeeded"')).toBe('1');
    // The shadow tables are gone; only the progress record stays.
    const { rows } = await sql.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'cairn_rebuild_tracking'`);
    expect(rows.map((r) => r.table_name)).toEqual(['progress']);
    // A rebuild whose process died (no session holds its lock) is reported as failed, not running forever.
    await sql.query(`UPDATE cairn_rebuild_tracking.progress SET state = 'running', phase = 'building', finished_at = NULL`);
    expect(await client.getReadModelRebuild('tracking')).toMatchObject({ state: 'failed', error: expect.stringMatching(/^interrupted/) });
  }, 240_000);

  it('rebuilds the registry and artifacts read models into rows equal to a rebuild, repairing a damaged row', async () => {
    // Registry's run summaries are written by its consumer of tracking.events (and tracking's run
    // references by its consumer of registry.events): with no writer left, wait until each has taken
    // every event of its log (the inbox marks each one, handled or not), so the projections and a
    // rebuild from the logs describe the same events.
    await waitFor(
      async () => {
        const { rows } = await sql.query<{ behind: string }>(
          `SELECT (SELECT count(*) FROM tracking.events e WHERE NOT EXISTS (SELECT 1 FROM registry.inbox i WHERE i.event_id = e.event_id))
                + (SELECT count(*) FROM registry.events e WHERE NOT EXISTS (SELECT 1 FROM tracking.inbox i WHERE i.event_id = e.event_id)) AS behind`,
        );
        return rows[0]?.behind === '0' ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    await sql.query(`UPDATE registry.model_versions SET source = 'runs:/elsewhere/model'`);
    for (const context of ['registry', 'artifacts'] as const) {
      await client.rebuildReadModel(context);
      const done = await waitFor(async () => {
        const progress = await client.getReadModelRebuild(context);
        return progress.state === 'running' ? undefined : progress;
      });
      expect(done).toMatchObject({ context, state: 'succeeded' });
      const verified = await client.verifyReadModel(context);
      expect({ context, differences: verified.differences }).toEqual({ context, differences: [] });
    }
    expect((await client.getModelVersion('rebuilt-model', '1')).source).toBe(`runs:/${seeded[0]}/model`);
  }, 120_000);

  it('exports the event logs as NDJSON in a stable order, filtered by context and time', async () => {
    const read = async (options: Parameters<CairnClient['exportEvents']>[0]) => {
      const chunks: Buffer[] = [];
      for await (const chunk of await client.exportEvents(options)) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      return text === ''
        ? []
        : text
            .trimEnd()
            .split('\n')
            .map((line) => JSON.parse(line) as { position: number; context: string; occurredAt: string; eventId: string });
    };
    const tracking = await read({ context: 'tracking' });
    const { rows } = await sql.query<{ n: string }>('SELECT count(*) AS n FROM tracking.events');
    expect(tracking).toHaveLength(Number(rows[0].n));
    expect(tracking.every((e) => e.context === 'tracking')).toBe(true);
    for (let i = 1; i < tracking.length; i++) expect(tracking[i].position).toBeGreaterThan(tracking[i - 1].position);
    expect(await read({ context: 'tracking' })).toEqual(tracking);

    const all = await read({});
    expect([...new Set(all.map((e) => e.context))]).toEqual(['tracking', 'artifacts', 'registry']);

    const middle = tracking[Math.floor(tracking.length / 2)].occurredAt;
    const since = await read({ context: 'tracking', since: middle });
    const until = await read({ context: 'tracking', until: middle });
    expect(since.length + until.length).toBe(tracking.length);
    expect(since.every((e) => e.occurredAt >= middle) && until.every((e) => e.occurredAt < middle)).toBe(true);

    await expect(read({ since: 'yesterday' })).rejects.toMatchObject({ httpStatus: 400 });
  }, 60_000);
});
