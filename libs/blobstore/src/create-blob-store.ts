import type { CairnConfig, ReadinessProbe } from '@cairn/platform';
import type { BlobStore } from './blob-store';
import { FilesystemBlobStore } from './filesystem-blob-store';
import { S3BlobStore } from './s3-blob-store';

/** Picks the adapter from CAIRN_ARTIFACT_ROOT (file:///… or s3://bucket/prefix), as validated at boot. */
export function createBlobStore(config: Pick<CairnConfig, 'artifactRoot' | 's3'>): BlobStore {
  const root = config.artifactRoot;
  if (root.kind === 'file') return new FilesystemBlobStore(root.directory);
  const { endpoint, accessKey, secretKey, region } = config.s3;
  // loadConfig already refused an s3:// root without these; this keeps the types honest.
  if (!endpoint || !accessKey || !secretKey)
    throw new Error('CAIRN_S3_ENDPOINT, CAIRN_S3_ACCESS_KEY and CAIRN_S3_SECRET_KEY are required for an s3:// artifact root');
  return new S3BlobStore({ endpoint, accessKey, secretKey, region, bucket: root.bucket, prefix: root.prefix });
}

/** `/health/ready` entry for the blob store. */
export function blobStoreProbe(store: BlobStore): ReadinessProbe {
  return { name: 'blob_store', check: () => store.ping() };
}
