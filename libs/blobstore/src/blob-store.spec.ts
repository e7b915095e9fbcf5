import { asBlobStoreError, asStorageFullError, BlobStorageFullError, BlobStoreUnavailableError } from './blob-store';
import { S3RequestError } from './s3-request-error';

describe('asStorageFullError', () => {
  it.each([
    ['a full disk under the filesystem store', Object.assign(new Error('write ENOSPC'), { code: 'ENOSPC' })],
    ['a disk quota reached', Object.assign(new Error('write EDQUOT'), { code: 'EDQUOT' })],
    ["MinIO's refusal of our own PUT", new S3RequestError('PUT', 507, 'XMinioStorageFull')],
    ['a 507 without an error document', new S3RequestError('PUT', 507, undefined)],
    ["the minio client's S3Error", Object.assign(new Error('Storage backend has reached its minimum free drive threshold.'), { code: 'XMinioStorageFull' })],
  ])('turns %s into a 507 the client does not retry', (_what, error) => {
    const mapped = asStorageFullError(error);
    expect(mapped).toBeInstanceOf(BlobStorageFullError);
    expect((mapped as BlobStorageFullError).httpStatus).toBe(507);
    expect((mapped as BlobStorageFullError).toJSON()).toMatchObject({ error_code: 'RESOURCE_EXHAUSTED' });
  });

  it('leaves every other failure as it was', () => {
    for (const error of [
      new S3RequestError('PUT', 403, 'AccessDenied'),
      Object.assign(new Error('EACCES'), { code: 'EACCES' }),
      new Error('socket hang up'),
      undefined,
    ]) {
      expect(asStorageFullError(error)).toBe(error);
    }
  });
});

describe('an artifact store that cannot be reached', () => {
  it.each([
    ['connection refused (MinIO stopped)', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' })],
    ['a connection reset mid-upload', Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } })],
    ["S3's 503", new S3RequestError('PUT', 503, 'ServiceUnavailable')],
  ])('turns %s into a 503 TEMPORARILY_UNAVAILABLE that MLflow clients retry', (_what, error) => {
    const mapped = asBlobStoreError(error);
    expect(mapped).toBeInstanceOf(BlobStoreUnavailableError);
    expect((mapped as BlobStoreUnavailableError).httpStatus).toBe(503);
    expect((mapped as BlobStoreUnavailableError).toJSON()).toMatchObject({ error_code: 'TEMPORARILY_UNAVAILABLE' });
  });

  it('keeps a full store a 507, and every other failure as it was', () => {
    expect(asBlobStoreError(Object.assign(new Error('no space'), { code: 'ENOSPC' }))).toBeInstanceOf(BlobStorageFullError);
    const denied = new S3RequestError('PUT', 403, 'AccessDenied');
    expect(asBlobStoreError(denied)).toBe(denied);
  });
});
