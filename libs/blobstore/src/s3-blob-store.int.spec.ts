import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { Client } from 'minio';
import { loopbackTls, removeTestBucket, testEndpoints } from '@cairn/testing';
import { isDirectlyWritable } from './blob-store';
import { blobStoreContract, generatedStream, readAll, sourceFailingAfter } from './blob-store.contract';
import { S3BlobStore } from './s3-blob-store';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const bucket = `cairn-test-${randomBytes(4).toString('hex')}`;

/** The infra's MinIO, with its static keys. */
function minio() {
  const { endpoint, accessKey, secretKey } = testEndpoints.s3();
  return { endpoint, credentials: { source: 'static' as const, accessKey, secretKey } };
}

function store(prefix: string, extra: { partSize?: number } = {}) {
  return new S3BlobStore({ ...minio(), region: 'us-east-1', bucket, prefix, partSize: extra.partSize ?? 5 * 1024 * 1024 });
}

afterAll(() => removeTestBucket(bucket));

blobStoreContract('s3 (MinIO)', async () => {
  const s = store('some/prefix');
  await s.ensureBucket();
  return { store: s, cleanup: async () => undefined };
});

/**
 * MinIO over https: a TLS terminator on a loopback port in front of the test MinIO (which speaks
 * plain HTTP), so that every request of the store — the `minio` client's, the streamed PUT, the GET
 * read from the socket — goes over TLS to a real S3 implementation. Presigned URLs stay valid
 * through it: bytes pass unchanged, Host included.
 */
async function tlsTerminatorForMinio(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const minio = new URL(testEndpoints.s3().endpoint);
  const sockets = new Set<Socket>();
  const server = createTlsServer(loopbackTls(), (client) => {
    const upstream = connect(Number(minio.port), minio.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    endpoint: `https://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

blobStoreContract('s3 over https (MinIO behind TLS)', async () => {
  const terminator = await tlsTerminatorForMinio();
  const s = new S3BlobStore({
    ...minio(),
    endpoint: terminator.endpoint,
    region: 'us-east-1',
    bucket,
    prefix: 'over-tls',
    partSize: 5 * 1024 * 1024,
    ca: loopbackTls().cert,
  });
  await s.ensureBucket();
  return { store: s, cleanup: () => terminator.close() };
});

describe('S3BlobStore specifics', () => {
  it('leaves no incomplete multipart upload behind when the source fails', async () => {
    const s = store('mpu');
    await s.ensureBucket();
    await expect(s.put('x/aborted.bin', sourceFailingAfter(10 * 1024 * 1024, 'client aborted'))).rejects.toThrow('client aborted');
    const { endpoint, accessKey, secretKey } = testEndpoints.s3();
    const url = new URL(endpoint);
    const client = new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey, secretKey, pathStyle: true });
    const incomplete: unknown[] = [];
    for await (const upload of client.listIncompleteUploads(bucket, 'mpu/', true)) incomplete.push(upload);
    expect(incomplete).toEqual([]);
  }, 60_000);

  it('a small upload takes no part buffer; sizes around one part round-trip byte for byte', async () => {
    const partSize = 5 * 1024 * 1024;
    const s = store('sizes', { partSize });
    await s.ensureBucket();
    const allocate = jest.spyOn(Buffer, 'allocUnsafeSlow');
    try {
      await s.put('x/tiny.json', Readable.from([Buffer.from('{"a": 1}')]));
      expect(allocate.mock.calls.filter(([size]) => size >= partSize)).toEqual([]);
    } finally {
      allocate.mockRestore();
    }
    expect((await readAll(await s.get('x/tiny.json'))).toString()).toBe('{"a": 1}');

    for (const size of [partSize - 1, partSize, partSize + 5]) {
      const stored = await s.put(`x/${size}.bin`, generatedStream(size, size).stream);
      expect(stored.size).toBe(size);
      expect(sha(await readAll(await s.get(`x/${size}.bin`)))).toBe(sha(await readAll(generatedStream(size, size).stream)));
    }
  }, 60_000);

  describe('writeTo, the recycling download path', () => {
    const size = 5 * 1024 * 1024 + 17;
    const s = store('direct');
    let whole: Buffer;

    beforeAll(async () => {
      await s.ensureBucket();
      await s.put('x/big.bin', generatedStream(size, 3).stream);
      whole = await readAll(generatedStream(size, 3).stream);
    }, 60_000);

    /** A destination that is slower than the source, so the buffer pool runs dry and refills. */
    const slowSink = () => {
      const hash = createHash('sha256');
      let bytes = 0;
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          bytes += chunk.length;
          setImmediate(callback);
        },
      });
      return { sink, bytes: () => bytes, sha256: () => hash.digest('hex') };
    };

    it('writes the whole object and a range of it, byte for byte, while reusing its buffers', async () => {
      const full = await s.get('x/big.bin');
      expect(isDirectlyWritable(full)).toBe(true);
      const all = slowSink();
      if (isDirectlyWritable(full)) await full.writeTo(all.sink);
      expect(all.bytes()).toBe(size);
      expect(all.sha256()).toBe(sha(whole));

      const range = { start: 1024 * 1024 - 3, end: 4 * 1024 * 1024 + 2 };
      const part = await s.get('x/big.bin', range);
      const some = slowSink();
      if (isDirectlyWritable(part)) await part.writeTo(some.sink);
      expect(some.sha256()).toBe(sha(whole.subarray(range.start, range.end + 1)));
    }, 60_000);

    it('stops reading and rejects when the destination goes away midway (client disconnected)', async () => {
      const body = await s.get('x/big.bin');
      let bytes = 0;
      const leaving = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          bytes += chunk.length;
          if (bytes > 1024 * 1024) this.destroy();
          callback();
        },
      });
      if (!isDirectlyWritable(body)) throw new Error('expected a DirectlyWritable body');
      await expect(body.writeTo(leaving)).rejects.toThrow();
      expect(body.destroyed).toBe(true);
    }, 60_000);

    it('a missing key is BlobNotFoundError before any byte, as with the minio client', async () => {
      await expect(s.get('x/missing.bin')).rejects.toMatchObject({ name: 'BlobNotFoundError' });
    });
  });

  it('streams an announced upload in one PUT as it arrives: no part buffer, no multipart upload', async () => {
    const partSize = 5 * 1024 * 1024;
    const s = store('streamed', { partSize });
    await s.ensureBucket();
    const size = 4 * partSize + 3;
    const allocate = jest.spyOn(Buffer, 'allocUnsafeSlow');
    let stored;
    try {
      stored = await s.put('x/streamed.bin', generatedStream(size, 11).stream, { expectedSize: size });
      expect(allocate.mock.calls.filter(([bytes]) => bytes >= partSize)).toEqual([]);
    } finally {
      allocate.mockRestore();
    }
    expect(stored).toEqual({ key: 'x/streamed.bin', size, sha256: sha(await readAll(generatedStream(size, 11).stream)) });
    expect(sha(await readAll(await s.get('x/streamed.bin')))).toBe(stored.sha256);
    // A multipart upload's ETag ends in -<parts>; one PUT's is the MD5 of the content.
    const { endpoint, accessKey, secretKey } = testEndpoints.s3();
    const url = new URL(endpoint);
    const client = new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey, secretKey, pathStyle: true });
    const stat = await client.statObject(bucket, 'streamed/x/streamed.bin');
    expect(stat.etag).toMatch(/^[0-9a-f]{32}$/);
  }, 60_000);

  it("a streamed upload S3 refuses fails with S3's error code before the body is sent", async () => {
    const missing = new S3BlobStore({
      ...minio(),
      region: 'us-east-1',
      bucket: `cairn-missing-${randomBytes(4).toString('hex')}`,
      prefix: '',
      partSize: 5 * 1024 * 1024,
    });
    const size = 64 * 1024 * 1024;
    let produced = 0;
    const body = new Readable({
      read() {
        produced += 1024 * 1024;
        this.push(produced > size ? null : Buffer.alloc(1024 * 1024));
      },
    });
    await expect(missing.put('x/refused.bin', body, { expectedSize: size })).rejects.toMatchObject({
      name: 'S3RequestError',
      method: 'PUT',
      status: 404,
      code: 'NoSuchBucket',
    });
    // Asked for `100 Continue` first: refused on the head, so at most what the source buffered was read.
    expect(produced).toBeLessThan(4 * 1024 * 1024);
  });

  it('ping fails for a bucket that does not exist', async () => {
    const missing = new S3BlobStore({ ...minio(), region: 'us-east-1', bucket: `cairn-missing-${randomBytes(4).toString('hex')}`, prefix: '' });
    await expect(missing.ping()).rejects.toThrow(/does not exist/);
  });
});
