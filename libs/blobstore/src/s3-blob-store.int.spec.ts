import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { testEndpoints } from '@cairn/testing';
import { blobStoreContract } from './blob-store.contract';
import { S3BlobStore } from './s3-blob-store';

const bucket = `cairn-test-${randomBytes(4).toString('hex')}`;

function store(prefix: string, extra: { partSize?: number } = {}) {
  const s3 = testEndpoints.s3();
  return new S3BlobStore({ ...s3, region: 'us-east-1', bucket, prefix, partSize: extra.partSize ?? 5 * 1024 * 1024 });
}

blobStoreContract('s3 (MinIO)', async () => {
  const s = store('some/prefix');
  await s.ensureBucket();
  return { store: s, cleanup: async () => undefined };
});

describe('S3BlobStore specifics', () => {
  it('leaves no incomplete multipart upload behind when the source fails', async () => {
    const s = store('mpu');
    await s.ensureBucket();
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent >= 11 * 1024 * 1024) return void this.destroy(new Error('client aborted'));
        sent += 1024 * 1024;
        this.push(Buffer.alloc(1024 * 1024, 2));
      },
    });
    await expect(s.put('x/aborted.bin', failing)).rejects.toThrow('client aborted');
    const { endpoint, accessKey, secretKey } = testEndpoints.s3();
    const url = new URL(endpoint);
    const client = new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey, secretKey, pathStyle: true });
    const incomplete: unknown[] = [];
    for await (const upload of client.listIncompleteUploads(bucket, 'mpu/', true)) incomplete.push(upload);
    expect(incomplete).toEqual([]);
  }, 60_000);

  it('ping fails for a bucket that does not exist', async () => {
    const s3 = testEndpoints.s3();
    const missing = new S3BlobStore({ ...s3, region: 'us-east-1', bucket: `cairn-missing-${randomBytes(4).toString('hex')}`, prefix: '' });
    await expect(missing.ping()).rejects.toThrow(/does not exist/);
  });
});
