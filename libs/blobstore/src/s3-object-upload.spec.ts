import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Agent as TlsAgent, createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import { Readable } from 'node:stream';
import { putObjectStream } from './s3-object-upload';
import { S3RequestError } from './s3-request-error';
import { listenAsS3, loopbackTls } from '@cairn/testing';

/*
 * The PUT against loopback HTTP servers standing in for S3 in the ways MinIO never behaves on cue:
 * one that ignores `Expect: 100-continue`, one that stops reading. MinIO's own answers (a stored
 * object, a refusal on the head) are in s3-blob-store.int.spec.ts.
 */
describe('putObjectStream', () => {
  let url: URL;
  let close: () => Promise<void>;

  const listen = async (make: () => Server | TlsServer) => {
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

  describe('over https (S3 itself, MinIO with TLS)', () => {
    const tls = loopbackTls();
    /** A TLS store that takes the PUT after 100 Continue, keeping a digest of what it received. */
    const tlsStore = (received: { bytes: number; sha256?: string; expect?: string }) => () =>
      createTlsServer(tls, (req, res) => {
        const hash = createHash('sha256');
        received.expect = req.headers.expect;
        req.on('data', (chunk: Buffer) => {
          received.bytes += chunk.length;
          hash.update(chunk);
        });
        req.on('end', () => {
          received.sha256 = hash.digest('hex');
          res.writeHead(200, { etag: '"x"' }).end();
        });
      });

    it('streams the body in one PUT to a store whose certificate is trusted', async () => {
      const received: { bytes: number; sha256?: string; expect?: string } = { bytes: 0 };
      await listen(tlsStore(received));
      const body = Buffer.alloc(9 * 1024 * 1024, 3);
      body.write('over tls');
      await putObjectStream(url, Readable.from([body.subarray(0, 4096), body.subarray(4096)]), body.length, { agent: new TlsAgent({ ca: tls.cert }) });
      expect(url.protocol).toBe('https:');
      expect(received).toEqual({ bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), expect: '100-continue' });
    });

    it('refuses a store whose certificate is not trusted, sending nothing', async () => {
      const received: { bytes: number; sha256?: string } = { bytes: 0 };
      await listen(tlsStore(received));
      // No CA given: Node's trusted roots, which do not include the self-signed loopback certificate.
      const error = await putObjectStream(url, Readable.from([Buffer.alloc(1024)]), 1024).catch((e: unknown) => e);
      expect((error as { code?: string }).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      expect(received.bytes).toBe(0);
    });
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
