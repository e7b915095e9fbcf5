import { type Agent, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S3RequestError } from './s3-request-error';

/**
 * How long the connection to S3 may go without a byte either way before a streamed PUT is given up.
 * The upload moves at its sender's pace, so this also bounds how long a sender may stall mid-body:
 * generous, so that a slow client is not cut off, but a dead S3 does not hold an upload for ever.
 */
export const S3_PUT_IDLE_TIMEOUT_MS = 300_000;
// How long to wait for S3's `100 Continue` before sending the body anyway (as curl does), for an
// S3-compatible store that ignores `Expect`.
const CONTINUE_WAIT_MS = 1000;
// S3 error documents are small; only the <Code> is kept.
const MAX_ERROR_BODY_CHARS = 64 * 1024;

/**
 * Sends `body` — exactly `size` bytes, which the caller guarantees (a ContentMeter checks them) — as
 * the body of one `PUT` to a presigned URL (http or https; over https the certificate is checked
 * against Node's trusted CAs, or the `agent`'s), at the pace the body arrives: every chunk is
 * written to S3's socket as it comes, nothing is buffered or copied on the way. S3 stores the object
 * only once all `size` bytes have arrived, so a body that fails midway (its sender gone, a quota
 * crossed) destroys the request and leaves nothing behind: no multipart upload to abort.
 *
 * The request asks for `100 Continue` first, as the AWS SDKs do: a refusal (no such bucket, a
 * bad signature, a full drive) is then an answer with S3's error code before any of the body is
 * sent, rather than a connection S3 resets in the middle of it.
 *
 * Why this and not multipart through the `minio` client: parts must be buffered whole before they
 * are sent (8 MiB each, a copy of every byte), and S3 does that work again per part. With the size
 * known, one PUT is what a client uploading straight to S3 would do.
 */
export function putObjectStream(
  url: URL,
  body: Readable,
  size: number,
  {
    agent,
    idleTimeoutMs = S3_PUT_IDLE_TIMEOUT_MS,
    headers = {},
  }: {
    agent?: Agent;
    idleTimeoutMs?: number;
    /** Headers the URL's signature covers (server-side encryption): sent exactly as signed. */
    headers?: Record<string, string>;
  } = {},
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      if (error === undefined) return resolve();
      body.destroy();
      request.destroy();
      reject(error);
    };
    const tls = url.protocol === 'https:';
    const request = (tls ? httpsRequest : httpRequest)({
      host: url.hostname,
      port: Number(url.port || (tls ? 443 : 80)),
      method: 'PUT',
      path: `${url.pathname}${url.search}`,
      // A connection per upload: these are large objects, and no idle socket outlives them.
      agent: agent ?? false,
      headers: { ...headers, 'content-length': String(size), 'content-type': 'application/octet-stream', expect: '100-continue' },
    });
    request.setTimeout(idleTimeoutMs, () => settle(new Error(`S3 PUT: no progress for ${idleTimeoutMs} ms; upload given up`)));
    request.on('error', settle);
    request.on('response', (response) => {
      clearTimeout(continueTimer);
      const status = response.statusCode ?? 0;
      response.on('error', settle);
      if (status === 200) {
        response.resume();
        response.on('end', () => settle());
        return;
      }
      // S3 may answer before it has read the whole body (a missing bucket, a refused signature):
      // the error is read, and settling stops the body.
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (text.length < MAX_ERROR_BODY_CHARS) text += chunk;
      });
      response.on('end', () => settle(S3RequestError.fromDocument('PUT', status, text)));
    });
    let sending = false;
    const send = () => {
      clearTimeout(continueTimer);
      if (sending || settled) return;
      sending = true;
      // The body's own failure (its sender gone, too many bytes, too few) ends the request unsent.
      pipeline(body, request).catch((error: unknown) => settle(error instanceof Error ? error : new Error(String(error))));
    };
    const continueTimer = setTimeout(send, CONTINUE_WAIT_MS);
    request.once('continue', send);
    request.once('close', () => clearTimeout(continueTimer));
  });
}
