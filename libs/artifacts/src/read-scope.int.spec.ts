/**
 * The proxied listing of the artifact root names experiment directories: a caller sees only those
 * it may read. (Deeper listings lie inside one experiment, checked at the API edge.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { READ_ALL, type ReadScope } from '@cairn/contracts';
import { FilesystemBlobStore } from '@cairn/blobstore';
import { Database } from '@cairn/platform';
import { createTestDatabase, type TestDatabase } from '@cairn/testing';
import { ArtifactQueries } from './application/artifact-queries';
import { ArtifactRepository } from './infra/artifact-repository';

const RUN = '0123456789abcdef0123456789abcdef';

describe('the artifact root listing, filtered by the read scope (real Postgres)', () => {
  let testDb: TestDatabase;
  let db: Database;
  let home: string;
  let queries: ArtifactQueries;

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: true, prefix: 'scope' });
    db = new Database(testDb.url, { max: 2 });
    home = mkdtempSync(path.join(os.tmpdir(), 'cairn-scope-'));
    queries = new ArtifactQueries(new ArtifactRepository(db), new FilesystemBlobStore(home));
    await db.query(`INSERT INTO artifacts.objects (digest, storage_key, size, ref_count) VALUES (repeat('a', 64), 'k', 1, 3)`);
    await db.query(
      `INSERT INTO artifacts.files (path, owner_kind, owner_id, experiment_id, relative_path, digest, size)
       SELECT e || '/${RUN}/artifacts/f', 'run', '${RUN}', e, 'f', repeat('a', 64), 1 FROM unnest(ARRAY['1', '2', '3']) AS e`,
    );
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  const names = async (scope: ReadScope, userPath?: string) => (await queries.list(userPath, scope)).map((f) => f.path);

  it('lists only the readable experiments at the root', async () => {
    expect(await names(READ_ALL)).toEqual(['1', '2', '3']);
    expect(await names({ kind: 'all-except', ids: ['2'] })).toEqual(['1', '3']);
    expect(await names({ kind: 'only', ids: ['3'] }, '')).toEqual(['3']);
    expect(await names({ kind: 'only', ids: [] })).toEqual([]);
  });

  it('lists inside an experiment as before (that path was checked against the experiment at the edge)', async () => {
    expect(await names({ kind: 'only', ids: ['1'] }, '1')).toEqual([RUN]);
  });
});
