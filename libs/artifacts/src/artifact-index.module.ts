import { Module } from '@nestjs/common';
import type { BlobStore } from '@cairn/blobstore';
import { CairnError } from '@cairn/contracts';
import { ArtifactQueries } from './application/artifact-queries';
import { ARTIFACT_BLOB_STORE } from './application/ports';
import { ArtifactRepository } from './infra/artifact-repository';

const refuse = (): Promise<never> =>
  Promise.reject(new CairnError('INTERNAL_ERROR', "this process reads the artifact index only: artifact content is served by the artifacts context's routes"));

/**
 * The bytes of no artifact: what the index-only module gives `ArtifactQueries` instead of a blob
 * store. A host of this module has no artifact root nor storage credentials (the distributed
 * tracking-service), and the queries it uses (listings) read the index in Postgres only.
 */
const NO_BLOBS: BlobStore = {
  put: refuse,
  get: refuse,
  head: refuse,
  list: refuse,
  delete: refuse,
  ping: refuse,
  description: 'none (artifact index only)',
};

/**
 * Artifacts' public query service over its index (the `artifacts` read model in Postgres), without
 * the context's routes, consumers or blob store: for a read-side gateway hosted by another context's
 * process (MLflow's GraphQL in the tracking-service). Listings work; reading content refuses.
 */
@Module({
  providers: [ArtifactRepository, ArtifactQueries, { provide: ARTIFACT_BLOB_STORE, useValue: NO_BLOBS }],
  exports: [ArtifactQueries],
})
export class ArtifactIndexModule {}
