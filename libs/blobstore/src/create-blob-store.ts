import type { BlobStore } from './blob-store';
import { FilesystemBlobStore } from './filesystem-blob-store';
import { S3BlobStore } from './s3-blob-store';

/**
 * The part of Cairn's configuration a blob store is made from (the platform's config satisfies it):
 * the blob store stays a leaf that any process, service or tool can use without the server platform.
 */
export interface BlobStoreConfig {
  artifactRoot: { kind: 'file'; directory: string } | { kind: 's3'; bucket: string; prefix: string };
  s3: { endpoint: string | undefined; accessKey: string | undefined; secretKey: string | undefined; region: string };
}

/** Picks the adapter from CAIRN_ARTIFACT_ROOT (file:///… or s3://bucket/prefix), as validated at boot. */
export function createBlobStore(config: BlobStoreConfig): BlobStore {
  const root = config.artifactRoot;
  if (root.kind === 'file') return new FilesystemBlobStore(root.directory);
  const { endpoint, accessKey, secretKey, region } = config.s3;
  // loadConfig already refused an s3:// root without these; this keeps the types honest.
  if (!endpoint || !accessKey || !secretKey)
    throw new Error('CAIRN_S3_ENDPOINT, CAIRN_S3_ACCESS_KEY and CAIRN_S3_SECRET_KEY are required for an s3:// artifact root');
  return new S3BlobStore({ endpoint, accessKey, secretKey, region, bucket: root.bucket, prefix: root.prefix });
}
