import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ARTIFACTS_EVENT_TYPES, invalidParameter, notFound, type ArtifactsEvent, type EventMetadata } from '@cairn/contracts';
import { normaliseArtifactPath, type BlobStore } from '@cairn/blobstore';
import { CommandHandler, EventStore, uuidv7 } from '@cairn/eventing';
import { Database, GroupCommit, mayHaveCommitted, type UnitOfWork } from '@cairn/platform';
import { locateArtifact, locateUserPath, type ArtifactLocation } from '../domain/artifact-location';
import { decideUploadAllowance } from '../domain/quota';
import { validatePolicy, type PolicyInput, type RetentionPolicy } from '../domain/retention';
import { ArtifactRepository } from '../infra/artifact-repository';
import { projectArtifactsEvents, storeArtifact } from '../infra/artifacts-projection';
import { deletedEvents } from './artifact-events';
import { BlobCollector, OBJECTS_PREFIX } from './blob-collector';
import { ARTIFACT_BLOB_STORE } from './ports';
import { RetentionEnforcer } from './retention-enforcer';

/** Blob keys are server-made, never derived from user paths: user input cannot name a storage location. */
const newStorageKey = () => `${OBJECTS_PREFIX}${new Date().toISOString().slice(0, 7)}/${uuidv7()}`;

/** An uploaded blob waiting for its index writes and event (see `recordUploads`). */
interface StoredUpload {
  location: ArtifactLocation;
  digest: string;
  size: number;
  stagingKey: string;
  metadata: EventMetadata;
}

interface UploadOutcome {
  deduplicated: boolean;
  /** The upload queued a blob for deletion (its own, deduplicated, or the content it replaced). */
  madeGarbage: boolean;
}

/**
 * How many uploads one transaction records at most. Uploads that arrive while one commits wait for
 * the next (group commit): on a durable Postgres every COMMIT waits for a WAL flush, and a run's
 * uploads, serialised by its lock, each waited for their own.
 */
const UPLOADS_PER_COMMIT = 64;

export interface UploadResult {
  location: ArtifactLocation;
  size: number;
  digest: string;
  deduplicated: boolean;
}

/**
 * The write side of the artifact proxy. An upload streams into a fresh blob while its sha256 is
 * computed; then, in a transaction holding its owner's lock (shared with the uploads that arrived
 * meanwhile, ADR 0018): the content gets a reference (or the existing content gets one more, and
 * the fresh blob is queued for deletion), the path index points at it, and
 * `artifacts.artifact.stored.v1` is appended with the outbox. Retention runs after.
 */
@Injectable()
export class ArtifactCommands {
  private readonly logger = new Logger('artifacts');
  private readonly handler: CommandHandler;
  /** `undefined` for an upload whose owner another transaction had locked: it is then recorded alone. */
  private readonly uploads = new GroupCommit<StoredUpload, UploadOutcome | undefined>((batch) => this.recordUploads(batch, 'try'), {
    maxBatch: UPLOADS_PER_COMMIT,
    maxInFlight: 1,
  });

  constructor(
    @Inject(Database) private readonly database: Database,
    @Inject(EventStore) private readonly events: EventStore,
    @Inject(ArtifactRepository) private readonly repository: ArtifactRepository,
    @Inject(ARTIFACT_BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(BlobCollector) private readonly collector: BlobCollector,
    @Inject(RetentionEnforcer) private readonly retention: RetentionEnforcer,
  ) {
    this.handler = new CommandHandler(database, events, 'artifacts');
  }

  /**
   * The loop every context shares, with this context's projection. An owner's writers are
   * serialised by its advisory lock (taken in `load`), so the events go with the COMMIT, numbered
   * after the stored ones. (The upload, the hot path, keeps its own three-round-trip transaction:
   * its index write decides whether the content was new.)
   */
  private async handle<State, R>(
    aggregateId: string,
    load: (uow: UnitOfWork) => Promise<State>,
    decide: (state: State) => ArtifactsEvent[],
    result: (state: State) => R,
    metadata: EventMetadata,
  ): Promise<R> {
    const handled = await this.handler.handle<State, ArtifactsEvent, R>(
      {
        aggregateId,
        load: async (uow) => ({ state: await load(uow), version: undefined }),
        decide,
        project: (uow, events, _loaded, occurredAt) => projectArtifactsEvents(this.repository, uow, events, occurredAt.toISOString()),
        result: ({ state }) => result(state),
      },
      metadata,
    );
    return handled.result;
  }

  async upload(userPath: string, body: Readable, announcedSize: number | undefined, metadata: EventMetadata): Promise<UploadResult> {
    const location = locateUserPath(userPath);
    let maxBytes: number | undefined;
    // Read before the upload, in one query: the quota bounds it, the policies apply after it.
    const rules = location.experimentId === null ? undefined : await this.repository.uploadRules(location.experimentId);
    if (location.experimentId !== null && rules?.quota !== undefined) {
      const used = await this.repository.usageOfExperiment(location.experimentId);
      const replaced = (await this.repository.findFile(location.path))?.size ?? 0;
      maxBytes = decideUploadAllowance(rules.quota, used.logicalBytes, announcedSize, replaced);
    }
    const stagingKey = newStorageKey();
    const stored = await this.blobs.put(stagingKey, body, { expectedSize: announcedSize, maxBytes });
    let outcome: UploadOutcome;
    try {
      const upload: StoredUpload = { location, digest: stored.sha256, size: stored.size, stagingKey, metadata };
      // Its run locked by a long writer: wait for it in a transaction of its own, not in the batch.
      outcome = (await this.uploads.submit(upload)) ?? (await this.recordAlone(upload));
    } catch (error) {
      // The transaction certainly did not commit: nothing references the fresh blob, remove it now (a
      // crash here leaves an orphan for the scanner). If the connection failed with the COMMIT sent,
      // a committed row may name it: deleting it would leave a file listed but never downloadable,
      // and a retry would deduplicate onto it. It stays, for BlobCollector.scanOrphans, which queues
      // only blobs an hour old that no artifacts.objects or blob_garbage row names (KNOWN_STORAGE_KEYS).
      if (!mayHaveCommitted(error)) await this.blobs.delete(stagingKey).catch(() => undefined);
      throw error;
    }
    // A sweep is a transaction of its own: only worth starting when this upload queued a blob.
    if (outcome.madeGarbage) this.collector.sweepSoon();
    if (location.ownerKind === 'run' && rules && rules.policies.length > 0) {
      // Retention is a consequence of the upload, not part of it: a failure is logged, never the client's.
      await this.applyPolicies(rules.policies, location.ownerId, location.relativePath, metadata).catch((error: unknown) =>
        this.logger.warn(`retention for run ${location.ownerId} failed: ${(error as Error).message}`),
      );
    }
    return { location, size: stored.size, digest: stored.sha256, deduplicated: outcome.deduplicated };
  }

  /**
   * The index writes and events of uploads whose blobs are stored, in one transaction: three round
   * trips plus one per upload (BEGIN with the owners' locks; each upload's reference and file writes
   * in one statement, in arrival order, so a retried path or a repeated content sees the one before
   * it; the events sent with the COMMIT). A blob is referenced only once its row commits, and a row
   * only ever names a blob already stored. With `lock` 'try' an owner whose lock is held elsewhere
   * is not waited for: its uploads are left out (`undefined`), for the caller to record with 'wait'.
   */
  private async recordUploads(batch: readonly StoredUpload[], lock: 'try' | 'wait'): Promise<Array<UploadOutcome | undefined>> {
    const owners = [...new Set(batch.map((upload) => upload.location.ownerId))];
    return this.database.transaction(
      async (tx, begun) => {
        const busy = new Set<string>(lock === 'try' ? ((begun[0]?.busy as string[] | undefined) ?? []) : []);
        // The events' time, on their rows too: a replay of the log stamps the same.
        const at = new Date();
        const outcomes: Array<UploadOutcome | undefined> = [];
        for (const { location, digest, size, stagingKey, metadata } of batch) {
          if (busy.has(location.ownerId)) {
            outcomes.push(undefined);
            continue;
          }
          const recorded = await storeArtifact(
            this.repository,
            tx,
            {
              path: location.path,
              ownerKind: location.ownerKind,
              ownerId: location.ownerId,
              experimentId: location.experimentId,
              relativePath: location.relativePath,
              digest,
              size,
            },
            stagingKey,
            at.toISOString(),
          );
          // Identical content is kept once: this upload's blob became garbage in that statement.
          const event: ArtifactsEvent = {
            type: ARTIFACTS_EVENT_TYPES.artifactStored,
            aggregateId: location.ownerId,
            data: {
              ownerKind: location.ownerKind,
              ownerId: location.ownerId,
              experimentId: location.experimentId,
              path: location.path,
              relativePath: location.relativePath,
              size,
              digest,
              deduplicated: !recorded.created,
              replacedDigest: recorded.previous?.digest ?? null,
              storageKey: stagingKey,
            },
          };
          // Each request's own actor and correlation id; the appends go with the COMMIT in one round trip.
          this.events.appendAtCommit(tx, 'artifacts', [event], metadata, at);
          outcomes.push({ deduplicated: !recorded.created, madeGarbage: !recorded.created || recorded.released.length > 0 });
        }
        return outcomes;
      },
      { begin: lock === 'try' ? this.repository.tryLockOwnersStatement(owners) : this.repository.lockOwnersStatement(owners) },
    );
  }

  /** One upload in a transaction of its own that waits for its owner's lock. */
  private async recordAlone(upload: StoredUpload): Promise<UploadOutcome> {
    const [outcome] = await this.recordUploads([upload], 'wait');
    if (outcome === undefined) throw new Error(`upload to ${upload.location.path} was not recorded`);
    return outcome;
  }

  /** Deletes a file or a whole directory, as MLflow's `delete_artifacts`. Missing paths are not an error. */
  async delete(userPath: string, metadata: EventMetadata): Promise<number> {
    const location = locateArtifact(normaliseArtifactPath(userPath));
    const removed = await this.handle(
      location.ownerId,
      async (uow) => {
        await this.repository.lockOwner(uow, location.ownerId);
        return this.repository.filesUnder(uow, location.path);
      },
      (files) => deletedEvents(files, 'request'),
      (files) => files.length,
      metadata,
    );
    this.collector.sweepSoon();
    return removed;
  }

  /**
   * Applies the experiment's policies whose prefix covers `relativePath` to the run: decide from the
   * run's checkpoints under the prefix and the policy metric at their steps, then delete the rest.
   */
  private async applyPolicies(policies: readonly RetentionPolicy[], runId: string, relativePath: string, metadata: EventMetadata): Promise<string[]> {
    const deleted: string[] = [];
    for (const policy of policies.filter((p) => relativePath.startsWith(p.prefix))) {
      deleted.push(...(await this.database.transaction((tx) => this.retention.apply(tx, policy, runId, metadata))));
    }
    if (deleted.length > 0) this.collector.sweepSoon();
    return deleted;
  }

  async setRetentionPolicy(input: PolicyInput, metadata: EventMetadata): Promise<RetentionPolicy> {
    const valid = validatePolicy(input);
    const owner = `experiment:${valid.experimentId}`;
    return this.handle(
      owner,
      async (uow) => {
        // Policies and quotas of an experiment change one writer at a time, so the log's order is theirs.
        await this.repository.lockOwner(uow, owner);
        // Replacing the policy of a prefix keeps its id.
        const existing = (await this.repository.policiesOf(valid.experimentId, uow)).find((p) => p.prefix === valid.prefix);
        return { ...valid, policyId: existing?.policyId ?? randomUUID() };
      },
      (policy) => [{ type: ARTIFACTS_EVENT_TYPES.retentionPolicySet, aggregateId: owner, data: policy }],
      (policy) => policy,
      metadata,
    );
  }

  async deleteRetentionPolicy(policyId: string, metadata: EventMetadata): Promise<void> {
    const missing = () => notFound(`Retention policy '${policyId}' does not exist.`);
    const found = await this.repository.policy(policyId);
    if (!found) throw missing();
    const owner = `experiment:${found.experimentId}`;
    await this.handle(
      owner,
      async (uow) => {
        await this.repository.lockOwner(uow, owner);
        // Read again under the lock: a concurrent delete may have gone first.
        const policy = await this.repository.policy(policyId, uow);
        if (!policy) throw missing();
        return policy;
      },
      (policy) => [{ type: ARTIFACTS_EVENT_TYPES.retentionPolicyDeleted, aggregateId: owner, data: { policyId, experimentId: policy.experimentId } }],
      () => undefined,
      metadata,
    );
  }

  async setQuota(experimentId: string, maxBytes: number | null, metadata: EventMetadata): Promise<void> {
    if (!/^\d+$/.test(experimentId)) throw invalidParameter(`Invalid experiment_id '${experimentId}'.`);
    const owner = `experiment:${experimentId}`;
    await this.handle(
      owner,
      (uow) => this.repository.lockOwner(uow, owner),
      () => [{ type: ARTIFACTS_EVENT_TYPES.quotaSet, aggregateId: owner, data: { experimentId, maxBytes } }],
      () => undefined,
      metadata,
    );
  }
}
