import type { ArtifactOwnerKind } from '@cairn/contracts';

export interface IndexedFile {
  path: string;
  ownerKind: ArtifactOwnerKind;
  ownerId: string;
  experimentId: string | null;
  relativePath: string;
  digest: string;
  size: number;
}

export interface ReadableFile extends IndexedFile {
  storageKey: string;
}

export interface Usage {
  files: number;
  logicalBytes: number;
  storedBytes: number;
}
