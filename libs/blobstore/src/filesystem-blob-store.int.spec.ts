import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { UnsafeArtifactPathError } from './artifact-path';
import { blobStoreContract, readAll } from './blob-store.contract';
import { FilesystemBlobStore } from './filesystem-blob-store';

blobStoreContract('filesystem', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'cairn-blobs-'));
  return { store: new FilesystemBlobStore(root), cleanup: async () => rmSync(root, { recursive: true, force: true }) };
});

// B7: a symlink planted inside the store that points outside it (MLflow PR #18964).
describe('FilesystemBlobStore and symlinks', () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'cairn-symlink-'));
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  const store = new FilesystemBlobStore(root);

  beforeAll(() => {
    mkdirSync(path.join(root, 'run'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'secret.txt'), 'secret');
    symlinkSync(outside, path.join(root, 'run', 'escape'));
    symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'run', 'secret-link'));
    mkdirSync(path.join(root, 'run', 'inside'));
    writeFileSync(path.join(root, 'run', 'inside', 'ok.txt'), 'ok');
    symlinkSync(path.join(root, 'run', 'inside'), path.join(root, 'run', 'inside-link'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('refuses to read through a directory symlink that leads outside the root', async () => {
    await expect(store.get('run/escape/secret.txt')).rejects.toBeInstanceOf(UnsafeArtifactPathError);
  });

  it('refuses to read a file symlink that leads outside the root', async () => {
    await expect(store.get('run/secret-link')).rejects.toBeInstanceOf(UnsafeArtifactPathError);
  });

  it('refuses to write through a symlink that leads outside, and writes nothing there', async () => {
    await expect(store.put('run/escape/planted.txt', Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(UnsafeArtifactPathError);
    await expect(store.put('run/escape/deeper/planted.txt', Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(UnsafeArtifactPathError);
    await expect(store.put('run/secret-link', Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(UnsafeArtifactPathError);
    expect(existsSync(path.join(outside, 'planted.txt'))).toBe(false);
    expect(existsSync(path.join(outside, 'deeper'))).toBe(false);
  });

  it('refuses to delete through a symlink that leads outside', async () => {
    await expect(store.delete('run/escape/secret.txt')).rejects.toBeInstanceOf(UnsafeArtifactPathError);
    expect(existsSync(path.join(outside, 'secret.txt'))).toBe(true);
  });

  it('follows a symlink that stays inside the root', async () => {
    expect((await readAll(await store.get('run/inside-link/ok.txt'))).toString()).toBe('ok');
  });

  it('does not list what symlinks point at', async () => {
    const keys = (await store.list('run/')).items.map((i) => i.key);
    expect(keys).toEqual(['run/inside/ok.txt']);
  });
});
