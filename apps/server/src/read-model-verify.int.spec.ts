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
    // The registry's run summary is written by its consumer: wait until it has seen the param.
    await waitFor(async () => {
      const { rows } = await sql.query<{ params: Record<string, string> }>('SELECT params FROM registry.run_summaries WHERE run_id = $1', [runId]);
      return rows[0]?.params['lr'] === '0.1' ? true : undefined;
    });

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
