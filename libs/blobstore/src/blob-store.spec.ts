import { asStorageFullError, BlobStorageFullError } from './blob-store';
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
