/**
 * The registry routes hand the caller's read scopes (`accessOf(request)`) to the searches and lists:
 * served in process, with ReadScopesFromHeaderModule standing in for the identity guard.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService, type RunningService } from '@cairn/runtime';
import { createTestDatabase, readScopesHeader, ReadScopesFromHeaderModule, type TestDatabase } from '@cairn/testing';
import { RegistryModule } from './registry.module';

const RUN = 'c'.repeat(32);

describe('registry searches over HTTP take the read scopes of the request', () => {
  let db: TestDatabase;
  let home: string;
  let service: RunningService;
  let base: string;
  const hiding = readScopesHeader({ registered_model: { kind: 'all-except', ids: ['secret'] } });

  const call = async (method: 'GET' | 'POST', route: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}/${route}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  };

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false, prefix: 'scopehttp' });
    home = mkdtempSync(path.join(os.tmpdir(), 'cairn-scope-http-'));
    service = await startService(
      { name: 'registry-scope', embeddedDefaults: true, modules: () => [RegistryModule, ReadScopesFromHeaderModule] },
      { CAIRN_DATABASE_URL: db.url, CAIRN_PORT: '0', CAIRN_HOME: home, CAIRN_LOG_LEVEL: 'silent' },
    );
    base = service.url;
    for (const name of ['open', 'secret']) {
      await call('POST', 'api/2.0/mlflow/registered-models/create', { name });
      await call('POST', 'api/2.0/mlflow/model-versions/create', { name, source: `runs:/${RUN}/model`, run_id: RUN });
    }
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await db?.drop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('registered-models/search and model-versions/search', async () => {
    const models = (body: Record<string, unknown>) => (body['registered_models'] as { name: string }[]).map((m) => m.name);
    expect(models(await call('GET', 'api/2.0/mlflow/registered-models/search'))).toEqual(['open', 'secret']);
    expect(models(await call('GET', 'api/2.0/mlflow/registered-models/search', undefined, hiding))).toEqual(['open']);
    const versions = (body: Record<string, unknown>) => (body['model_versions'] as { name: string }[]).map((v) => v.name);
    expect(versions(await call('GET', `api/2.0/mlflow/model-versions/search?filter=run_id%3D'${RUN}'`, undefined, hiding))).toEqual(['open']);
    expect(versions(await call('GET', `api/2.0/mlflow/model-versions/search?filter=run_id%3D'${RUN}'`)).sort()).toEqual(['open', 'secret']);
  });

  it('registry/run-references lists only versions of readable models', async () => {
    const references = await call('GET', `api/2.0/cairn/registry/run-references?run_id=${RUN}`, undefined, hiding);
    expect(references).toMatchObject({ referenced: true, model_versions: [{ name: 'open', version: '1' }] });
    const none = await call(
      'GET',
      `api/2.0/cairn/registry/run-references?run_id=${RUN}`,
      undefined,
      readScopesHeader({ registered_model: { kind: 'only', ids: [] } }),
    );
    expect(none).toMatchObject({ referenced: false, model_versions: [] });
  });
});
