import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S3ObjectStream, S3ReadTimeoutError } from './s3-object-stream';
import { listenAsS3, loopbackTls } from '@cairn/testing';

/*
 * Stalls against a loopback HTTP server standing in for S3 (no MinIO needed: MinIO never stalls on
 * cue). The timeout is 150 ms here; the server is told when to go quiet.
 */
const TIMEOUT_MS = 150;

describe('S3ObjectStream read timeout', () => {
  let close: () => Promise<void>;
  let url: URL;
  let handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Resolves when the server sees its side of the connection closed. */
  let serverSideClosed: Promise<unknown>;

  beforeEach(async () => {
    ({ url, close } = await listenAsS3(
      createServer((req, res) => {
        serverSideClosed = once(req.socket, 'close');
        handle(req, res);
      }),
    ));
  });
  afterEach(() => close());

  /** Answers 200 with `total` bytes announced, sends `sent` of them and then nothing more. */
  const stallAfter = (sent: number, total: number) => (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-length': String(total) });
    res.write(Buffer.alloc(sent, 1));
  };

  it('gives up a GET whose head never comes', async () => {
    handle = () => undefined;
    const started = Date.now();
    await expect(S3ObjectStream.open(url, undefined, { readTimeoutMs: TIMEOUT_MS })).rejects.toThrow(S3ReadTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    await serverSideClosed;
  });

  it('writeTo rejects with the timeout when S3 stops mid-body, and drops the S3 connection', async () => {
    handle = stallAfter(1000, 10_000);
    const stream = await S3ObjectStream.open(url, undefined, { readTimeoutMs: TIMEOUT_MS });
    const written: Buffer[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written.push(Buffer.from(chunk));
        callback();
      },
    });
    await expect(stream.writeTo(destination)).rejects.toThrow(/no data from S3 for 150 ms/);
    await serverSideClosed;
    expect(Buffer.concat(written).length).toBe(1000);
    expect(stream.destroyed).toBe(true);
  });

  it('as a Readable, errors with the timeout and takes the destination of a pipeline down with it', async () => {
    handle = stallAfter(1000, 10_000);
    const stream = await S3ObjectStream.open(url, undefined, { readTimeoutMs: TIMEOUT_MS });
    const destination = new PassThrough();
    destination.resume();
    await expect(pipeline(stream, destination)).rejects.toThrow(S3ReadTimeoutError);
    expect(destination.destroyed).toBe(true);
    await serverSideClosed;
  });

  it('does not count a slow destination as a stall: a paused read is not timed', async () => {
    const total = 4 * 1024 * 1024;
    handle = (_req, res) => {
      res.writeHead(200, { 'content-length': String(total) });
      res.end(Buffer.alloc(total, 2));
    };
    const stream = await S3ObjectStream.open(url, undefined, { readTimeoutMs: TIMEOUT_MS });
    // Every 32nd write takes twice the timeout: the buffer pool runs dry and reading pauses meanwhile.
    let bytes = 0;
    let writes = 0;
    const slow = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        if (writes++ % 32 === 0) setTimeout(callback, 2 * TIMEOUT_MS);
        else callback();
      },
    });
    await stream.writeTo(slow);
    expect(bytes).toBe(total);
  });
});

describe('S3ObjectStream over https (S3 itself, MinIO with TLS)', () => {
  const tls = loopbackTls();
  const content = randomBytes(6 * 1024 * 1024 + 123);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  let url: URL;
  let close: () => Promise<void>;

  beforeAll(async () => {
    // Serves `content`, or the byte range asked for, as S3's GetObject does.
    ({ url, close } = await listenAsS3(
      createTlsServer(tls, (req, res) => {
        const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
        const body = range ? content.subarray(Number(range[1]), Number(range[2]) + 1) : content;
        res.writeHead(range ? 206 : 200, { 'content-length': String(body.length) });
        res.end(body);
      }),
    ));
  });
  afterAll(() => close());

  it('reads the whole object through writeTo, the recycling path, with the store trusted', async () => {
    const stream = await S3ObjectStream.open(url, undefined, { ca: tls.cert });
    const received: Buffer[] = [];
    let writes = 0;
    // A destination that is sometimes slow: reading must pause and resume over TLS as over TCP.
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        received.push(Buffer.from(chunk));
        if (writes++ % 16 === 0) setTimeout(callback, 5);
        else callback();
      },
    });
    await stream.writeTo(destination);
    expect(url.protocol).toBe('https:');
    expect(sha(Buffer.concat(received))).toBe(sha(content));
  });

  it('reads a byte range as a Readable', async () => {
    const stream = await S3ObjectStream.open(url, { start: 1000, end: 1_000_999 }, { ca: tls.cert });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(sha(Buffer.concat(chunks))).toBe(sha(content.subarray(1000, 1_001_000)));
  });

  it('refuses a store whose certificate is not trusted', async () => {
    await expect(S3ObjectStream.open(url)).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });
});
