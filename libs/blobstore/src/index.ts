export * from './artifact-path';
export * from './blob-store';
export { ContentMeter } from './content-meter';
export { FilesystemBlobStore } from './filesystem-blob-store';
export { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store';
export { createBlobStore, type BlobStoreConfig } from './create-blob-store';
