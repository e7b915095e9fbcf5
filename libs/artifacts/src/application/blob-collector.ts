import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { BlobStore } from '@cairn/blobstore';
import { Database } from '@cairn/platform';
import { ArtifactRepository } from '../infra/artifact-repository';
import { ARTIFACT_BLOB_STORE } from './ports';

const SWEEP_INTERVAL_MS = 30_000;
const BATCH = 100;
const ORPHAN_SCAN_INTERVAL_MS = 60 * 60_000;
/** Older than any upload in flight: a blob this old that no row knows was left by a crash. */
export const ORPHAN_MIN_AGE_MS = 60 * 60_000;
/** Where uploads write; every blob of the context lives under it (see ArtifactCommands). */
export const OBJECTS_PREFIX = 'objects/';

/**
 * Deletes blobs that lost their last reference. The decision is committed first (the key is put in
 * `artifacts.blob_garbage` in the transaction that dropped the reference); deleting the blob comes
 * after, here, and the row goes only once the blob is gone. So a crash at any point leaves work that
 * the next sweep finishes, and nothing committed ever points at a missing blob. Replicas share the
 * queue with SKIP LOCKED.
 */
@Injectable()
export class BlobCollector implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('artifacts.blob-collector');
  private timer: NodeJS.Timeout | undefined;
  private orphanTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;

  constructor(
    @Inject(Database) private readonly database: Database,
    @Inject(ArtifactRepository) private readonly repository: ArtifactRepository,
    @Inject(ARTIFACT_BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.sweepSoon(), SWEEP_INTERVAL_MS);
    this.timer.unref();
    this.orphanTimer = setInterval(() => {
      this.scanOrphans().catch((error: unknown) => this.logger.warn(`orphan scan failed: ${(error as Error).message}`));
    }, ORPHAN_SCAN_INTERVAL_MS);
    this.orphanTimer.unref();
    this.sweepSoon();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.orphanTimer);
    await this.sweeping?.catch(() => undefined);
  }

  /** Starts a sweep unless one runs; never throws (failures are retried at the next sweep). */
  sweepSoon(): void {
    if (this.sweeping) return;
    this.sweeping = this.sweep()
      .catch((error: unknown) => {
        this.logger.warn(`blob collection failed, will retry: ${(error as Error).message}`);
        return 0;
      })
      .finally(() => (this.sweeping = undefined));
  }

  /**
   * Finds blobs that no row knows — written by an upload whose transaction never committed because
   * the process died in between — and queues them for deletion. Only blobs written more than
   * `minAgeMs` ago are considered: a blob appears only once its upload completed (rename / multipart
   * complete) and its transaction follows at once, so nothing in flight is that old.
   * Returns the keys queued.
   */
  async scanOrphans(now = Date.now(), minAgeMs = ORPHAN_MIN_AGE_MS): Promise<string[]> {
    const queued: string[] = [];
    let after: string | undefined;
    do {
      const page = await this.blobs.list(OBJECTS_PREFIX, { after, limit: 1000 });
      after = page.next;
      const old = page.items.filter((i) => i.modifiedAt !== undefined && now - i.modifiedAt.getTime() > minAgeMs).map((i) => i.key);
      const known = await this.repository.knownStorageKeys(old);
      const orphans = old.filter((key) => !known.has(key));
      if (orphans.length > 0) {
        await this.database.transaction((tx) => this.repository.enqueueGarbage(tx, orphans));
        queued.push(...orphans);
      }
    } while (after !== undefined);
    if (queued.length > 0) {
      this.logger.warn(`queued ${queued.length} orphan blob(s) for deletion`);
      this.sweepSoon();
    }
    return queued;
  }

  /** Deletes every queued blob; returns how many. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const done = await this.database.transaction(async (tx) => {
        const keys = await this.repository.claimGarbage(tx, BATCH);
        for (const key of keys) await this.blobs.delete(key);
        await this.repository.removeGarbage(tx, keys);
        return keys.length;
      });
      total += done;
      if (done < BATCH) return total;
    }
  }
}
