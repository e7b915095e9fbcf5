export * from './artifact-path';
export * from './blob-store';
export { ContentMeter } from './content-meter';
export { FilesystemBlobStore } from './filesystem-blob-store';
export { S3BlobStore, type S3BlobStoreOptions, type S3ServerSideEncryption } from './s3-blob-store';
export type { S3Credentials } from './s3-credentials';
export { createBlobStore, type BlobStoreConfig } from './create-blob-store';
