import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DirectlyWritable } from './blob-store';
import { S3RequestError } from './s3-request-error';

// libuv reads at most this much at a time (Node's own sockets read 64 KiB).
const READ_BUFFER_BYTES = 256 * 1024;
// Buffers in flight towards the destination in writeTo: at most 2 MiB per download.
const WRITE_POOL_SIZE = 8;
/**
 * Every socket of this module reads into this one buffer: reads and their callbacks run one at a
 * time on the event loop, and each callback copies out what it keeps before returning.
 */
const sharedReadBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
// An S3 response head is a few hundred bytes; anything this long is not one.
const MAX_HEAD_BYTES = 64 * 1024;
// S3 error documents are small; only the <Code> is kept.
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/**
 * How long a GET may wait for S3 without a byte (connecting, for the head, mid-body) before it is
 * given up: a stalled connection would otherwise hold the download, and the client's socket, forever.
 * S3 and MinIO send the first byte well within a second; a wait the consumer imposes does not count.
 */
export const S3_READ_TIMEOUT_MS = 30_000;

/** S3 sent nothing for too long: the connection is given up, and the download fails with this. */
export class S3ReadTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`S3 GET: no data from S3 for ${timeoutMs} ms; connection given up`);
    this.name = 'S3ReadTimeoutError';
  }
}

type Mode = 'waiting' | 'readable' | 'direct';

/**
 * The body of one S3 `GET` (a presigned URL, http or https) read straight from its socket.
 *
 * Why not the `minio` client's stream: Node's HTTP client allocates a 64 KiB buffer for every socket
 * read and copies every body chunk into a second one, so a 1 GB download makes 2 GB of short-lived
 * external memory. V8 answers that with a major GC every ~64 MB (17–47 per GB measured), each marking
 * the whole server heap, and the proxy spent more CPU on GC than on moving bytes. Here each read
 * lands in one fixed buffer (`onread`); as a Readable a chunk is one copy, and through `writeTo` the
 * copies go into a small pool of buffers recycled once the destination has written them, so a
 * download of any size makes almost no garbage.
 *
 * The response head is parsed before `open` resolves, so a missing key is an error before any byte
 * is sent on. The connection is not reused (`Connection: close`).
 */
export class S3ObjectStream extends Readable implements DirectlyWritable {
  private mode: Mode = 'waiting';
  private remaining: number;
  private paused = true;
  /** Body bytes that arrived with the head, before a consumer chose how to read. */
  private early: Buffer[] = [];
  /** A failure before a consumer chose how to read, kept for it (an 'error' event nobody hears would crash). */
  private failed: Error | undefined;
  private onBody: (data: Buffer) => boolean = () => false;
  private onEnd: (error?: Error) => void = () => undefined;

  private constructor(
    private readonly socket: Socket,
    readonly contentLength: number,
    private readonly readTimeoutMs: number,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    this.remaining = contentLength;
  }

  /**
   * Sends the GET and resolves once the head is in: a stream for 2xx, S3RequestError otherwise.
   * An https URL is read over TLS with the certificate checked against Node's trusted CAs (or `ca`);
   * the reads land in the same fixed buffer.
   */
  static open(
    url: URL,
    range?: { start: number; end: number },
    { readTimeoutMs = S3_READ_TIMEOUT_MS, ca }: { readTimeoutMs?: number; ca?: string } = {},
  ): Promise<S3ObjectStream> {
    return new Promise((resolve, reject) => {
      let head = '';
      let stream: S3ObjectStream | undefined;
      let failure: { status: number; body: string; remaining: number } | undefined;
      const fail = (error: Error) => {
        if (stream) stream.finish(error);
        else reject(error);
        socket.destroy();
      };
      const buffer = sharedReadBuffer;
      const tls = url.protocol === 'https:';
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const options = {
        host,
        port: Number(url.port || (tls ? 443 : 80)),
        onread: {
          buffer,
          callback: (length: number): boolean => {
            if (stream) return stream.received(buffer.subarray(0, length));
            if (failure) return readError(buffer.subarray(0, length));
            head += buffer.toString('latin1', 0, length);
            const end = head.indexOf('\r\n\r\n');
            if (end < 0) {
              if (head.length > MAX_HEAD_BYTES) fail(new Error('S3 GET: response head too long'));
              return true;
            }
            const parsed = parseHead(head.slice(0, end));
            if (parsed instanceof Error) {
              fail(parsed);
              return false;
            }
            const rest = buffer.subarray(length - (head.length - end - 4), length);
            if (parsed.status !== 200 && parsed.status !== 206) {
              failure = { status: parsed.status, body: '', remaining: parsed.contentLength };
              return readError(rest);
            }
            stream = new S3ObjectStream(socket, parsed.contentLength, readTimeoutMs);
            resolve(stream);
            const early = rest.subarray(0, parsed.contentLength);
            if (early.length > 0) stream.early.push(Buffer.from(early));
            stream.remaining -= early.length;
            if (stream.remaining <= 0) stream.finish();
            // Nothing more is read until a consumer chooses Readable or writeTo.
            socket.setTimeout(0);
            return false;
          },
        },
      };
      // SNI names a host, never an address; `ca` replaces the trusted roots (tests, private CAs).
      const socket: Socket = tls ? connectTls({ ...options, servername: isIP(host) === 0 ? host : undefined, ...(ca ? { ca } : {}) }) : connect(options);
      const readError = (data: Buffer): boolean => {
        if (!failure) return false;
        failure.body += data.toString('latin1', 0, Math.min(data.length, MAX_ERROR_BODY_BYTES - failure.body.length));
        failure.remaining -= data.length;
        if (failure.remaining <= 0 || failure.body.length >= MAX_ERROR_BODY_BYTES) fail(errorOf(failure));
        return true;
      };
      socket.setNoDelay(true);
      // Armed only while this module wants bytes: paused for a slow consumer is not stalled.
      socket.setTimeout(readTimeoutMs);
      socket.on('timeout', () => fail(new S3ReadTimeoutError(readTimeoutMs)));
      socket.on('error', fail);
      socket.on('close', () => {
        if (failure) return fail(errorOf(failure));
        if (!stream) return fail(new Error('S3 GET: connection closed before the response head'));
        if (stream.remaining > 0) stream.finish(new Error(`S3 GET: connection closed with ${stream.remaining} bytes still to come`));
      });
      const rangeHeader = range ? `Range: bytes=${range.start}-${range.end}\r\n` : '';
      socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${rangeHeader}Connection: close\r\n\r\n`);
    });
  }

  override _read(): void {
    if (this.mode === 'waiting') {
      this.mode = 'readable';
      for (const chunk of this.early) this.push(chunk);
      this.early = [];
      this.onBody = (data) => this.push(Buffer.from(data));
      this.onEnd = (error) => (error ? this.destroy(error) : this.push(null));
      if (this.failed || this.remaining <= 0) return this.onEnd(this.failed);
    }
    if (this.mode === 'readable') this.resumeSocket();
  }

  /**
   * Writes the whole body into `destination` and ends it. Only for a destination that is done with a
   * chunk when its write callback runs (a socket, an HTTP response — not a Transform that passes
   * chunks on): the chunk's buffer is reused for later bytes right after. Rejects if the source fails
   * or the destination closes first; the caller decides what becomes of the destination then.
   */
  writeTo(destination: Writable): Promise<void> {
    if (this.mode !== 'waiting') return pipeline(this, destination);
    this.mode = 'direct';
    return new Promise<void>((resolve, reject) => {
      // Allocated as needed, so a small file costs one buffer; never more than WRITE_POOL_SIZE.
      const free: Buffer[] = [];
      let allocated = 0;
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        destination.off('close', onDestinationClose);
        this.destroy();
        if (error) reject(error);
        else resolve();
      };
      const onDestinationClose = () => settle(new Error('the destination closed before the download ended'));
      destination.on('close', onDestinationClose);
      const onWritten = (buffer?: Buffer) => (error?: Error | null) => {
        if (error) return settle(error);
        if (buffer) free.push(buffer);
        if (this.mode === 'direct' && this.remaining > 0) this.resumeSocket();
      };
      for (const chunk of this.early) destination.write(chunk, onWritten());
      this.early = [];
      this.onBody = (data) => {
        let buffer = free.pop();
        if (buffer === undefined) {
          buffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
          allocated++;
        }
        data.copy(buffer);
        destination.write(buffer.subarray(0, data.length), onWritten(buffer));
        return free.length > 0 || allocated < WRITE_POOL_SIZE;
      };
      this.onEnd = (error) => (error ? settle(error) : destination.end(() => settle()));
      if (this.failed || this.remaining <= 0) this.onEnd(this.failed);
      else this.resumeSocket();
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }

  /** One read's worth of body; returns whether the socket should keep reading. */
  private received(data: Buffer): boolean {
    const body = data.length > this.remaining ? data.subarray(0, this.remaining) : data;
    this.remaining -= body.length;
    const more = body.length > 0 ? this.onBody(body) : true;
    if (this.remaining <= 0) {
      this.finish();
      return false;
    }
    if (!more) this.pauseSocket();
    return more;
  }

  private finish(error?: Error): void {
    this.socket.destroy();
    if (this.mode !== 'waiting') this.onEnd(error);
    else this.failed ??= error;
  }

  private pauseSocket(): void {
    this.paused = true;
    this.socket.setTimeout(0);
  }

  private resumeSocket(): void {
    if (!this.paused || this.socket.destroyed) return;
    this.paused = false;
    this.socket.setTimeout(this.readTimeoutMs);
    this.socket.resume();
  }
}

function parseHead(head: string): { status: number; contentLength: number } | Error {
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  if (status === undefined) return new Error('S3 GET: malformed status line');
  let contentLength: number | undefined;
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length' && /^\d+$/.test(value)) contentLength = Number(value);
    // S3 always sends GetObject with a length; a chunked body is not what this reader is for.
    if (name === 'transfer-encoding' && value.toLowerCase() !== 'identity') return new Error('S3 GET: chunked responses are not supported');
  }
  if (contentLength === undefined) return new Error('S3 GET: response without Content-Length');
  return { status: Number(status), contentLength };
}

function errorOf(failure: { status: number; body: string }): S3RequestError {
  return S3RequestError.fromDocument('GET', failure.status, failure.body);
}
