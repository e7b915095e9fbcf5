/**
 * The tracking routes hand the caller's read scope (`accessOf(request)`) to the searches: served
 * in process, with a stand-in for the identity guard that sets `request.cairnAccess` from a test
 * header (ReadScopesFromHeaderModule), as the real guard does before any handler runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService, type RunningService } from '@cairn/runtime';
import { createTestDatabase, readScopesHeader, ReadScopesFromHeaderModule, type TestDatabase } from '@cairn/testing';
import { TrackingModule } from './tracking.module';

describe('tracking searches over HTTP take the read scope of the request', () => {
  let db: TestDatabase;
  let home: string;
  let service: RunningService;
  let api: string;
  let shown: string;
  let hidden: string;
  const hiding = () => readScopesHeader({ experiment: { kind: 'all-except', ids: [hidden] } });

  const post = async (route: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${api}/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  };
  const get = async (route: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${api}/${route}`, { headers });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  };

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false, prefix: 'scopehttp' });
    home = mkdtempSync(path.join(os.tmpdir(), 'cairn-scope-http-'));
    service = await startService(
      { name: 'tracking-scope', embeddedDefaults: true, modules: () => [TrackingModule, ReadScopesFromHeaderModule] },
      { CAIRN_DATABASE_URL: db.url, CAIRN_PORT: '0', CAIRN_HOME: home, CAIRN_LOG_LEVEL: 'silent' },
    );
    api = `${service.url}/api/2.0/mlflow`;
    shown = String((await post('experiments/create', { name: 'shown' }))['experiment_id']);
    hidden = String((await post('experiments/create', { name: 'hidden' }))['experiment_id']);
    for (const experimentId of [shown, hidden]) {
      const run = (await post('runs/create', { experiment_id: experimentId, start_time: 1 })) as { run: { info: { run_id: string } } };
      await post('runs/log-inputs', {
        run_id: run.run.info.run_id,
        datasets: [{ dataset: { name: `data-${experimentId}`, digest: 'd', source_type: 'local', source: 's' } }],
      });
      await post('logged-models', { experiment_id: experimentId, name: `model-${experimentId}` });
    }
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await db?.drop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const experimentNames = (body: Record<string, unknown>) => ((body['experiments'] ?? []) as { name: string }[]).map((e) => e.name).sort();

  it('experiments/search, GET and POST', async () => {
    expect(experimentNames(await post('experiments/search', {}))).toEqual(['Default', 'hidden', 'shown']);
    expect(experimentNames(await post('experiments/search', {}, hiding()))).toEqual(['Default', 'shown']);
    expect(experimentNames(await get('experiments/search?max_results=10', hiding()))).toEqual(['Default', 'shown']);
  });

  it('runs/search, GET and POST: runs of the unreadable experiment are left out even when requested', async () => {
    const experimentsOf = (body: Record<string, unknown>) => ((body['runs'] ?? []) as { info: { experiment_id: string } }[]).map((r) => r.info.experiment_id);
    expect(experimentsOf(await post('runs/search', { experiment_ids: [shown, hidden] })).sort()).toEqual([shown, hidden].sort());
    expect(experimentsOf(await post('runs/search', { experiment_ids: [shown, hidden] }, hiding()))).toEqual([shown]);
    expect(experimentsOf(await get(`runs/search?experiment_ids=${shown}&experiment_ids=${hidden}`, hiding()))).toEqual([shown]);
  });

  it('logged-models/search and experiments/search-datasets', async () => {
    const models = (body: Record<string, unknown>) => ((body['models'] ?? []) as { info: { name: string } }[]).map((m) => m.info.name);
    expect(models(await post('logged-models/search', { experiment_ids: [shown, hidden] }, hiding()))).toEqual([`model-${shown}`]);
    expect(models(await post('logged-models/search', { experiment_ids: [shown, hidden] })).sort()).toEqual([`model-${shown}`, `model-${hidden}`].sort());
    const datasets = (body: Record<string, unknown>) => ((body['dataset_summaries'] ?? []) as { name: string }[]).map((d) => d.name);
    expect(datasets(await post('experiments/search-datasets', { experiment_ids: [shown, hidden] }, hiding()))).toEqual([`data-${shown}`]);
  });
});
