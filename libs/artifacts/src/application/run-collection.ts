import { Inject, Injectable } from '@nestjs/common';
import { ARTIFACTS_EVENT_TYPES, type EventMetadata } from '@cairn/contracts';
import { EventStore } from '@cairn/eventing';
import type { UnitOfWork } from '@cairn/platform';
import { decideOnPurge, decideOnReferenceRemoved } from '../domain/collection';
import { ArtifactRepository } from '../infra/artifact-repository';
import { projectThenAppend } from '../infra/artifacts-projection';
import { deletedEvents } from './artifact-events';

/**
 * Collection of a purged run's artifacts, inside the consumer's transaction (which also records the
 * event in the inbox): index rows and references go, blobs left unreferenced are queued, events are
 * appended — all or nothing, so a crash resumes by redelivery and a redelivery is a no-op. The blobs
 * themselves are deleted by the BlobCollector from its durable queue.
 */
@Injectable()
export class RunCollection {
  constructor(
    @Inject(ArtifactRepository) private readonly repository: ArtifactRepository,
    @Inject(EventStore) private readonly events: EventStore,
  ) {}

  async onRunPurged(tx: UnitOfWork, runId: string, metadata: EventMetadata): Promise<'collected' | 'deferred' | 'nothing'> {
    await this.repository.lockOwner(tx, runId);
    const purge = await this.repository.purgeStateForUpdate(tx, runId);
    const references = await this.repository.referencesToRun(tx, runId);
    const decision = decideOnPurge({ purge, references: references.length });
    if (decision === 'collect') {
      await this.collect(tx, runId, metadata);
      return 'collected';
    }
    if (decision === 'defer') {
      await projectThenAppend(
        this.events,
        this.repository,
        tx,
        [{ type: ARTIFACTS_EVENT_TYPES.runCollectionDeferred, aggregateId: runId, data: { runId, references } }],
        metadata,
      );
      return 'deferred';
    }
    return 'nothing';
  }

  /** After a model version stopped referencing `runId`: collect it if it was purged meanwhile. */
  async onReferenceRemoved(tx: UnitOfWork, runId: string, metadata: EventMetadata): Promise<void> {
    await this.repository.lockOwner(tx, runId);
    const purge = await this.repository.purgeStateForUpdate(tx, runId);
    const references = await this.repository.referencesToRun(tx, runId);
    if (decideOnReferenceRemoved({ purge, references: references.length }) === 'collect') await this.collect(tx, runId, metadata);
  }

  private async collect(tx: UnitOfWork, runId: string, metadata: EventMetadata): Promise<void> {
    const files = await this.repository.filesOfOwner(tx, runId);
    const bytes = files.reduce((sum, f) => sum + f.size, 0);
    await projectThenAppend(
      this.events,
      this.repository,
      tx,
      [...deletedEvents(files, 'collection'), { type: ARTIFACTS_EVENT_TYPES.runCollected, aggregateId: runId, data: { runId, files: files.length, bytes } }],
      metadata,
    );
  }
}
