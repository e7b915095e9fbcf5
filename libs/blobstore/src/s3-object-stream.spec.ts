import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S3ObjectStream, S3ReadTimeoutError } from './s3-object-stream';
import { listenAsS3 } from '@cairn/testing';

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
