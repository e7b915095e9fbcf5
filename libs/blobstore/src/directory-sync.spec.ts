import { mkdtemp, rm } from 'node:fs/promises';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DirectorySync, FilesystemBlobStore } from './filesystem-blob-store';

describe('DirectorySync', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'dirsync-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shares fsyncs between writers of one directory: one running, at most one queued after it', async () => {
    const opened = jest.spyOn(fs, 'open');
    const sync = new DirectorySync();
    const first = sync.sync(dir); // starts at once
    const later = Array.from({ length: 10 }, () => sync.sync(dir)); // renamed while it runs: need the next one
    await Promise.all([first, ...later]);
    expect(opened.mock.calls.filter(([p]) => p === dir)).toHaveLength(2);
    expect(new Set(later).size).toBe(1);
    expect(later[0]).not.toBe(first);

    await sync.sync(dir); // all settled: a new writer starts its own
    expect(opened.mock.calls.filter(([p]) => p === dir)).toHaveLength(3);
    opened.mockRestore();
  });

  it('fails the writers of a directory that cannot be synced', async () => {
    await expect(new DirectorySync().sync(path.join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
  });

  it("a put into new directories syncs each new directory's parent, and the blob's own directory", async () => {
    const opened = jest.spyOn(fs, 'open');
    const root = await fs.realpath(dir);
    await new FilesystemBlobStore(root).put('2026-12/ab/blob', Readable.from([Buffer.from('x')]));
    const synced = new Set(opened.mock.calls.map(([p]) => String(p)));
    for (const directory of [root, path.join(root, '2026-12'), path.join(root, '2026-12', 'ab')]) expect(synced).toContain(directory);
    opened.mockRestore();
  });
});
