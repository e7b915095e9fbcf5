import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { stripBrackets, type AddressPolicy } from '../domain/address-policy';
import type { AttemptResult } from '../domain/delivery-policy';

export interface SendResult {
  result: AttemptResult;
  /** The first `RESPONSE_LOG_BYTES` of the answer, for the delivery log. */
  responseBody: string | null;
  durationMs: number;
}

/** Kept in the log; the rest of a response is read (up to the cap) and dropped. */
export const RESPONSE_LOG_BYTES = 1024;
/** A receiver sending more than this is cut off: its answer is not worth unbounded memory. */
const RESPONSE_READ_CAP = 64 * 1024;

export interface SendOptions {
  timeoutMs: number;
  policy: AddressPolicy;
  userAgent: string;
}

class RefusedAddressError extends Error {
  override name = 'RefusedAddressError';
}

/**
 * One POST, with the SSRF rule enforced where it cannot be raced: the resolver hook refuses a name
 * whose addresses include a forbidden one, and the connected socket's peer address is checked
 * again before a byte is written (covers IP-literal hosts, which skip the resolver). No redirects
 * are followed, no proxy is used, the whole attempt is bounded by `timeoutMs` and the response by
 * RESPONSE_READ_CAP.
 */
export function sendWebhook(url: string, headers: Record<string, string>, body: string, options: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const target = new URL(url);
  const hostname = stripBrackets(target.hostname);
  const exempt = options.policy.isAllowedName(hostname);
  const transport = target.protocol === 'https:' ? https : http;

  const lookup = (host: string, lookupOptions: object, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(host, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, []);
      if (!exempt) {
        for (const a of addresses) {
          const refusal = options.policy.refusal(a.address);
          if (refusal) return callback(new RefusedAddressError(`${host} resolves to ${refusal}`), []);
        }
      }
      const all = (lookupOptions as { all?: boolean }).all === true;
      const first = addresses[0];
      if (all) return callback(null, addresses);
      if (!first) return callback(new Error(`${host} has no address`), []);
      return callback(null, first.address, first.family);
    });
  };

  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult, responseBody: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ result, responseBody, durationMs: Math.round(performance.now() - started) });
    };
    const request = transport.request(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': options.userAgent, ...headers },
      lookup: lookup as never,
      agent: false,
    });
    const timer = setTimeout(() => {
      request.destroy(new Error(`timed out after ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    request.on('socket', (socket: Socket) => {
      const check = () => {
        const peer = socket.remoteAddress;
        if (exempt) return;
        const refusal = peer === undefined ? 'the peer address is unknown' : options.policy.refusal(peer);
        if (refusal) request.destroy(new RefusedAddressError(`connection to ${hostname} refused: ${refusal}`));
      };
      if (socket.remoteAddress !== undefined && !socket.connecting) check();
      else socket.once('connect', check);
    });
    request.on('error', (error) =>
      finish(
        error instanceof RefusedAddressError
          ? { kind: 'refused', message: error.message }
          : { kind: 'error', message: `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` },
        null,
      ),
    );
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const text = Buffer.concat(chunks).subarray(0, RESPONSE_LOG_BYTES).toString('utf8');
        const retryAfter = response.headers['retry-after'];
        finish({ kind: 'response', statusCode: response.statusCode ?? 0, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter }, text);
      };
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= RESPONSE_LOG_BYTES) chunks.push(chunk);
        else if (chunks.reduce((n, c) => n + c.length, 0) < RESPONSE_LOG_BYTES) chunks.push(chunk);
        if (size > RESPONSE_READ_CAP) {
          // The status already says what the receiver decided; the rest of the body is not needed.
          response.destroy();
          done();
        }
      });
      response.on('end', done);
      response.on('error', done);
      response.on('aborted', done);
    });
    request.end(body);
  });
}
