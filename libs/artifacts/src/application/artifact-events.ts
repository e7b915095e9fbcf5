import { ARTIFACTS_EVENT_TYPES, type ArtifactsEvent } from '@cairn/contracts';
import type { IndexedFile } from './views';

/** The deletion events of files removed from the index, one per file, on each file's owner. */
export function deletedEvents(files: readonly IndexedFile[], reason: 'request' | 'retention' | 'collection', policyId: string | null = null): ArtifactsEvent[] {
  return files.map((file) => ({
    type: ARTIFACTS_EVENT_TYPES.artifactDeleted,
    aggregateId: file.ownerId,
    data: {
      ownerKind: file.ownerKind,
      ownerId: file.ownerId,
      experimentId: file.experimentId,
      path: file.path,
      relativePath: file.relativePath,
      size: file.size,
      digest: file.digest,
      reason,
      policyId,
    },
  }));
}
