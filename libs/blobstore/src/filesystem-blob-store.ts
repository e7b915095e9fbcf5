import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, constants, lstat, mkdir, open, readdir, realpath, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  asStorageFullError,
  BlobNotFoundError,
  type BlobInfo,
  type BlobListPage,
  type BlobStore,
  type ByteRange,
  type PutOptions,
  type StoredBlob,
} from './blob-store';
import { meterFrom } from './content-meter';
import { normaliseArtifactPath, UnsafeArtifactPathError } from './artifact-path';

const DEFAULT_PAGE = 1000;
const TEMP_MARKER = '.cairn-tmp-';

/**
 * Blobs as files under one root directory (embedded mode). Writes go to a temporary file in the
 * target directory, are fsynced, then renamed over the target: a reader sees the old content or the
 * new, never a torn file. Every key is checked twice: as a string (normaliseArtifactPath) and on
 * disk, where the real path of the deepest existing ancestor must stay under the real root, so a
 * symlink planted in the store cannot lead outside it (MLflow PR #18964).
 */
export class FilesystemBlobStore implements BlobStore {
  readonly description: string;
  private realRoot: Promise<string> | undefined;
  private readonly directories = new DirectorySync();

  constructor(private readonly root: string) {
    this.description = `file://${root}`;
  }

  async put(key: string, content: Readable, options: PutOptions = {}): Promise<StoredBlob> {
    const target = await this.resolveForWrite(key);
    const temp = path.join(path.dirname(target.absolute), `${TEMP_MARKER}${randomUUID()}`);
    const { meter, release } = meterFrom(content, options);
    try {
      // `flush`: the stream fsyncs its descriptor before closing it — one open and close per blob, not two.
      await pipeline(meter, createWriteStream(temp, { flags: 'wx', mode: 0o640, flush: true }));
      await rename(temp, target.absolute);
      // The rename is durable only once its directory is: without this, a power loss could undo the
      // move of a blob whose record the caller then commits (listed, but not downloadable).
      await this.directories.sync(path.dirname(target.absolute));
    } catch (error) {
      // What is left of the source is the caller's (meterFrom).
      release();
      await rm(temp, { force: true });
      throw asStorageFullError(error);
    }
    return { key: target.key, size: meter.size, sha256: meter.sha256 };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const absolute = await this.resolveExisting(key);
    const info = await stat(absolute).catch(() => undefined);
    if (!info?.isFile()) throw new BlobNotFoundError(key);
    return createReadStream(absolute, range ? { start: range.start, end: range.end } : {});
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    try {
      const absolute = await this.resolveExisting(key);
      const info = await stat(absolute);
      return info.isFile() ? { key: normaliseArtifactPath(key), size: info.size } : undefined;
    } catch (error) {
      if (error instanceof BlobNotFoundError) return undefined;
      throw error;
    }
  }

  async list(prefix: string, options: { after?: string; limit?: number } = {}): Promise<BlobListPage> {
    const limit = options.limit ?? DEFAULT_PAGE;
    const checkedPrefix = prefix === '' ? '' : normaliseArtifactPath(prefix) + (prefix.endsWith('/') ? '/' : '');
    // Walk from the directory that contains every key with this prefix.
    const baseDir = checkedPrefix.includes('/') ? checkedPrefix.slice(0, checkedPrefix.lastIndexOf('/')) : '';
    const keys: BlobInfo[] = [];
    const realRoot = await this.realRootPath();
    const start = path.join(realRoot, baseDir);
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry.name.startsWith(TEMP_MARKER)) continue;
        const absolute = path.join(dir, entry.name);
        // Symlinks are never followed while listing: what they point at is not ours to show.
        if (entry.isDirectory()) await walk(absolute);
        else if (entry.isFile()) {
          const key = path.relative(realRoot, absolute).split(path.sep).join('/');
          if (key.startsWith(checkedPrefix) && (options.after === undefined || key > options.after)) {
            const info = await stat(absolute);
            keys.push({ key, size: info.size, modifiedAt: info.mtime });
          }
        }
      }
    };
    await walk(start);
    keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const items = keys.slice(0, limit);
    const last = items[items.length - 1];
    return keys.length > limit && last ? { items, next: last.key } : { items };
  }

  async delete(key: string): Promise<void> {
    try {
      const absolute = await this.resolveExisting(key);
      await unlink(absolute);
    } catch (error) {
      if (error instanceof BlobNotFoundError || (error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await access(this.root, constants.R_OK | constants.W_OK);
  }

  private realRootPath(): Promise<string> {
    this.realRoot ??= mkdir(this.root, { recursive: true }).then(() => realpath(this.root));
    return this.realRoot;
  }

  private async ensureInside(realRoot: string, candidate: string): Promise<void> {
    if (candidate !== realRoot && !candidate.startsWith(realRoot + path.sep)) throw new UnsafeArtifactPathError('outside artifact directory');
  }

  /** The absolute path of an existing key, after following symlinks and checking containment. */
  private async resolveExisting(key: string): Promise<string> {
    const checked = normaliseArtifactPath(key);
    const realRoot = await this.realRootPath();
    let real: string;
    try {
      real = await realpath(path.join(realRoot, checked));
    } catch {
      throw new BlobNotFoundError(checked);
    }
    await this.ensureInside(realRoot, real);
    return real;
  }

  /**
   * Creates the key's directories and returns where to write. The deepest existing ancestor is
   * resolved with realpath and must lie under the root; a symlink as the leaf itself is refused
   * (rename would replace the link, but a reader of the old link could have been sent elsewhere).
   */
  private async resolveForWrite(key: string): Promise<{ key: string; absolute: string }> {
    const checked = normaliseArtifactPath(key);
    const realRoot = await this.realRootPath();
    const segments = checked.split('/');
    const leafOf = async (directory: string) => {
      const absolute = path.join(directory, segments[segments.length - 1] ?? '');
      const leaf = await lstat(absolute).catch(() => undefined);
      if (leaf?.isSymbolicLink()) throw new UnsafeArtifactPathError('outside artifact directory');
      if (leaf?.isDirectory()) throw new UnsafeArtifactPathError('a directory exists at this path');
      return { key: checked, absolute };
    };
    // The usual case, a directory that exists (every blob of a month shares one): one realpath, the
    // same check as after creating one below.
    const existingDirectory = await realpath(path.join(realRoot, ...segments.slice(0, -1))).catch(() => undefined);
    if (existingDirectory !== undefined) {
      await this.ensureInside(realRoot, existingDirectory);
      return leafOf(existingDirectory);
    }
    let existing = realRoot;
    let i = 0;
    for (; i < segments.length - 1; i++) {
      const next = path.join(existing, segments[i] ?? '');
      let real: string;
      try {
        real = await realpath(next);
      } catch {
        break;
      }
      await this.ensureInside(realRoot, real);
      existing = real;
    }
    const directory = path.join(existing, ...segments.slice(i, -1));
    const firstCreated = await mkdir(directory, { recursive: true });
    if (firstCreated !== undefined) {
      // A new directory's entry is durable only once its parent is synced: without this, a power
      // loss could drop a new month's directory with the blobs whose records then committed.
      const parents: string[] = [];
      for (let d = directory; ; d = path.dirname(d)) {
        parents.push(path.dirname(d));
        if (d === firstCreated || path.dirname(d) === d) break;
      }
      await Promise.all(parents.map((parent) => this.directories.sync(parent)));
    }
    // Re-check after creating: a concurrent symlink swap must not redirect the write.
    const created = await realpath(directory);
    await this.ensureInside(realRoot, created);
    return leafOf(created);
  }
}

/**
 * fsync of directories, shared by concurrent writers: a writer whose rename is done joins the next
 * fsync of its directory that starts after that moment (one already running may have started
 * before the rename, so it does not count). Uploads landing in one directory together (blobs of a
 * month share one) pay one fsync between them, as a group commit does for their records.
 */
export class DirectorySync {
  private readonly states = new Map<string, { running: Promise<void>; next?: Promise<void> }>();

  sync(directory: string): Promise<void> {
    const state = this.states.get(directory);
    if (state === undefined) return this.start(directory);
    state.next ??= state.running.catch(() => undefined).then(() => this.start(directory));
    return state.next;
  }

  private start(directory: string): Promise<void> {
    const running = fsyncDirectory(directory).finally(() => {
      const state = this.states.get(directory);
      if (state?.running !== running) return;
      if (state.next === undefined) this.states.delete(directory);
    });
    // A queued `next` has become this fsync: writers arriving from now on queue the one after it.
    this.states.set(directory, { running });
    return running;
  }
}

async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
