import { ARTIFACTS_EVENT_TYPES as A, type ArtifactsEvent, type EventMetadata } from '@cairn/contracts';
import type { EventStore } from '@cairn/eventing';
import type { UnitOfWork } from '@cairn/platform';
import type { IndexedFile } from '../application/views';
import type { ArtifactRepository } from './artifact-repository';

/*
 * The artifacts context's projection: its events → the path index, content references, retention
 * policies, quotas and purge states, every timestamp the event's. Commands (through the shared
 * CommandHandler) and consumers (projectThenAppend) apply their events here and append them with the
 * COMMIT, after the projection, so an event's position in the log follows the
 * row locks its projection took: two owners releasing and re-uploading one content replay in the
 * order they happened. A rebuild replays artifacts.events through the same function.
 */

export interface StoreOutcome {
  /** The content was new: `storageKey` holds it now (else that blob became garbage). */
  created: boolean;
  previous?: { digest: string; size: number };
  /** Blobs left without any reference, queued for deletion. */
  released: string[];
}

/** An upload's index writes: one more reference to the content, the path pointed at it, the replaced content released. */
export async function storeArtifact(repository: ArtifactRepository, tx: UnitOfWork, file: IndexedFile, storageKey: string, at: string): Promise<StoreOutcome> {
  const recorded = await repository.recordUpload(tx, file, storageKey, at);
  const released = recorded.previous ? await repository.releaseReferences(tx, [recorded.previous.digest]) : [];
  return { ...recorded, released };
}

/** Applies `events` (all stamped `occurredAt`) to the read model; consecutive deletions go in one statement. */
export async function projectArtifactsEvents(
  repository: ArtifactRepository,
  tx: UnitOfWork,
  events: readonly ArtifactsEvent[],
  occurredAt: string,
): Promise<void> {
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    switch (event.type) {
      case A.artifactStored: {
        const d = event.data;
        if (d.storageKey === undefined)
          throw new Error(`artifact event for ${d.path} predates storage keys in events: the content index cannot be rebuilt from this log`);
        await storeArtifact(repository, tx, d, d.storageKey, occurredAt);
        break;
      }
      case A.artifactDeleted: {
        const paths = [event.data.path];
        while (events[i + 1]?.type === A.artifactDeleted) paths.push((events[++i] as Extract<ArtifactsEvent, { type: typeof A.artifactDeleted }>).data.path);
        await repository.releaseReferences(tx, await repository.removeFiles(tx, paths));
        break;
      }
      case A.retentionPolicySet:
        await repository.upsertPolicy(tx, event.data, occurredAt);
        break;
      case A.retentionPolicyDeleted:
        await repository.deletePolicy(tx, event.data.policyId);
        break;
      case A.quotaSet:
        await repository.setQuota(tx, event.data.experimentId, event.data.maxBytes, occurredAt);
        break;
      case A.runCollectionDeferred:
        await repository.setPurgeState(tx, event.data.runId, 'deferred', occurredAt);
        break;
      case A.runCollected:
        await repository.setPurgeState(tx, event.data.runId, 'collected', occurredAt);
        break;
      default: {
        const unhandled: never = event;
        throw new Error(`unhandled artifacts event ${JSON.stringify(unhandled)}`);
      }
    }
  }
}

/** A command's events: applied to the read model now, appended to artifacts.events with the COMMIT, one time for both. */
export async function projectThenAppend(
  store: EventStore,
  repository: ArtifactRepository,
  tx: UnitOfWork,
  events: readonly ArtifactsEvent[],
  metadata: EventMetadata,
): Promise<void> {
  if (events.length === 0) return;
  const at = new Date();
  await projectArtifactsEvents(repository, tx, events, at.toISOString());
  store.appendAtCommit(tx, 'artifacts', events, metadata, at);
}
