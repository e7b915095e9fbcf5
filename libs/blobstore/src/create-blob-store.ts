import type { BlobStore } from './blob-store';
import { FilesystemBlobStore } from './filesystem-blob-store';
import { S3BlobStore, type S3ServerSideEncryption } from './s3-blob-store';
import type { S3Credentials } from './s3-credentials';

/**
 * The part of Cairn's configuration a blob store is made from (the platform's config satisfies it):
 * the blob store stays a leaf that any process, service or tool can use without the server platform.
 */
export interface BlobStoreConfig {
  artifactRoot: { kind: 'file'; directory: string } | { kind: 's3'; bucket: string; prefix: string };
  s3: {
    endpoint: string | undefined;
    region: string;
    /** undefined only without an s3:// root: loadConfig refuses one with no credential source. */
    credentials: S3Credentials | undefined;
    pathStyle: boolean;
    serverSideEncryption: S3ServerSideEncryption | undefined;
  };
}

/** Picks the adapter from CAIRN_ARTIFACT_ROOT (file:///… or s3://bucket/prefix), as validated at boot. */
export function createBlobStore(config: BlobStoreConfig): BlobStore {
  const root = config.artifactRoot;
  if (root.kind === 'file') return new FilesystemBlobStore(root.directory);
  const { endpoint, region, credentials, pathStyle, serverSideEncryption } = config.s3;
  // loadConfig already refused an s3:// root without these; this keeps the types honest.
  if (!endpoint || !credentials) throw new Error('CAIRN_S3_ENDPOINT and S3 credentials are required for an s3:// artifact root');
  return new S3BlobStore({
    endpoint,
    region,
    credentials,
    pathStyle,
    ...(serverSideEncryption ? { serverSideEncryption } : {}),
    bucket: root.bucket,
    prefix: root.prefix,
  });
}
