/** Injection token for the context's BlobStore (filesystem or S3, from CAIRN_ARTIFACT_ROOT). */
export const ARTIFACT_BLOB_STORE = Symbol('ArtifactBlobStore');
