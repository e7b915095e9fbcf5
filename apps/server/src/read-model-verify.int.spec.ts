import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startService, type RunningService } from '@cairn/runtime';
import { CairnClient } from '@cairn/sdk';
import { createTestDatabase, waitFor, type TestDatabase } from '@cairn/testing';
import { serverDefinition } from './server.definition';

describe('read-model verify over the admin API (all-in-one server, real Postgres)', () => {
  let db: TestDatabase;
  let home: string;
  let service: RunningService;
  let client: CairnClient;
  let sql: Client;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    home = mkdtempSync(path.join(os.tmpdir(), 'cairn-verify-'));
    service = await startService(serverDefinition, { CAIRN_DATABASE_URL: db.url, CAIRN_HOME: home, CAIRN_PORT: '0', CAIRN_LOG_LEVEL: 'silent' });
    client = new CairnClient({ trackingUri: service.url });
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  }, 120_000);
  afterAll(async () => {
    await sql?.end();
    await service?.stop();
    await db?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  it('finds each read model equal to a rebuild, reports a tampered row in each, and changes nothing', async () => {
    const experimentId = await client.createExperiment('verify');
    const run = await client.createRun({ experimentId, runName: 'original-name' });
    const runId = run.info.run_id;
    for (let step = 0; step < 5; step++) await client.logMetric(runId, 'loss', 1 / (step + 1), { step });
    await client.logParam(runId, 'lr', '0.1');
    const weights = path.join(home, 'weights.bin');
    writeFileSync(weights, 'weights');
    await client.uploadArtifact(runId, weights, 'model');
    await client.createRegisteredModel('verified-model');
    await client.createModelVersion('verified-model', `runs:/${runId}/model`, { runId });
    // Tables written by a consumer of another context's log (registry's run summaries, tracking's run
    // references) lag it: wait until each consumer has taken every event of the log it reads (its inbox
    // marks each one, handled or not), so the projections and a rebuild describe the same events.
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

    for (const context of ['tracking', 'registry', 'artifacts'] as const) {
      const report = await client.verifyReadModel(context);
      expect({ context, consistent: report.consistent, differences: report.differences }).toEqual({ context, consistent: true, differences: [] });
      expect(report.rows).toBeGreaterThan(0);
    }

    // Tampering a row by hand, as a bug in a projection would.
    await sql.query(`UPDATE tracking.runs SET name = 'tampered' WHERE run_uuid = $1`, [runId]);
    await sql.query(`UPDATE registry.model_versions SET source = 'runs:/elsewhere/model'`);
    const tracking = await client.verifyReadModel('tracking');
    expect(tracking.consistent).toBe(false);
    expect(tracking.differences).toEqual([
      {
        table: 'tracking.runs',
        projection_only: [expect.objectContaining({ run_uuid: runId, name: 'tampered' })],
        projection_only_count: 1,
        rebuild_only: [expect.objectContaining({ run_uuid: runId, name: 'original-name' })],
        rebuild_only_count: 1,
      },
    ]);
    const registry = await client.verifyReadModel('registry');
    expect(registry.differences.map((d) => [d.table, d.projection_only_count, d.rebuild_only_count])).toEqual([['registry.model_versions', 1, 1]]);

    // Verify rolled its rebuild back: the tampered row is still there (repair is not verify's job).
    const { rows } = await sql.query<{ name: string }>('SELECT name FROM tracking.runs WHERE run_uuid = $1', [runId]);
    expect(rows).toEqual([{ name: 'tampered' }]);
    expect((await client.getRun(runId)).info.run_name).toBe('tampered');
  });

  it('refuses anything but a known context', async () => {
    await expect(client.verifyReadModel('nonsense' as 'tracking')).rejects.toMatchObject({ httpStatus: 400 });
    await expect(client.verifyReadModel('webhooks')).rejects.toMatchObject({ errorCode: 'INVALID_STATE' });
  });
});
