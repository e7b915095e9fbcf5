import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';
import { putObjectStream } from './s3-object-upload';
import { S3RequestError } from './s3-request-error';
import { listenAsS3 } from '@cairn/testing';

/*
 * The PUT against loopback HTTP servers standing in for S3 in the ways MinIO never behaves on cue:
 * one that ignores `Expect: 100-continue`, one that stops reading. MinIO's own answers (a stored
 * object, a refusal on the head) are in s3-blob-store.int.spec.ts.
 */
describe('putObjectStream', () => {
  let url: URL;
  let close: () => Promise<void>;

  const listen = async (make: () => Server) => {
    ({ url, close } = await listenAsS3(make()));
  };
  afterEach(() => close());

  it('sends the body anyway when the store never answers 100 Continue', async () => {
    let received = 0;
    let sawExpect = false;
    // A `checkContinue` listener stops Node from answering 100 by itself: this server ignores Expect.
    await listen(() => {
      const s = createServer();
      s.on('checkContinue', (req, res) => {
        sawExpect = req.headers.expect === '100-continue';
        req.on('data', (chunk: Buffer) => (received += chunk.length));
        req.on('end', () => res.writeHead(200).end());
      });
      return s;
    });
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    await putObjectStream(url, Readable.from([body]), body.length);
    expect(sawExpect).toBe(true);
    expect(received).toBe(body.length);
  });

  it('gives up a store that stops reading, and stops reading the source', async () => {
    await listen(() => createServer((req) => req.pause()));
    let produced = 0;
    const source = new Readable({
      read() {
        produced += 1024 * 1024;
        this.push(Buffer.alloc(1024 * 1024));
      },
    });
    await expect(putObjectStream(url, source, 1024 * 1024 * 1024, { idleTimeoutMs: 200 })).rejects.toThrow(/no progress for 200 ms/);
    expect(source.destroyed).toBe(true);
    expect(produced).toBeLessThan(64 * 1024 * 1024);
  });

  it("reports the store's refusal in the middle of the body, not the broken connection after it", async () => {
    // As MinIO when its drive fills during a write: it answers 507 without reading the rest, and
    // closes the connection the body is still being written to.
    await listen(() =>
      createServer((req, res) => {
        let received = 0;
        req.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received < 2 * 1024 * 1024 || res.headersSent) return;
          res.writeHead(507, { 'content-type': 'application/xml', connection: 'close' });
          res.end('<?xml version="1.0"?><Error><Code>XMinioStorageFull</Code><Message>full</Message></Error>', () => req.socket.destroy());
        });
      }),
    );
    const size = 256 * 1024 * 1024;
    let produced = 0;
    const source = new Readable({
      read() {
        if (produced >= size) return void this.push(null);
        produced += 1024 * 1024;
        this.push(Buffer.alloc(1024 * 1024));
      },
    });
    const error = await putObjectStream(url, source, size).catch((e: unknown) => e);
    expect(error).toMatchObject({ method: 'PUT', status: 507, code: 'XMinioStorageFull' });
    expect(produced).toBeLessThan(size);
  });

  it("reports the store's refusal with its status and S3 error code", async () => {
    await listen(() =>
      createServer((_req, res) => {
        res.writeHead(403, { 'content-type': 'application/xml' }).end('<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>no</Message></Error>');
      }),
    );
    const error = await putObjectStream(url, Readable.from([Buffer.alloc(10)]), 10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3RequestError);
    expect(error).toMatchObject({ method: 'PUT', status: 403, code: 'AccessDenied' });
  });
});
