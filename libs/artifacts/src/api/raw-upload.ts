import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The content type artifact uploads are re-labelled with, so that only our pass-through parser sees them. */
export const ARTIFACT_STREAM_CONTENT_TYPE = 'application/x-cairn-artifact-stream';
/** Where the client's original Content-Type is kept (diagnostics; the download type is guessed from the name, as MLflow). */
export const ORIGINAL_CONTENT_TYPE_HEADER = 'x-cairn-original-content-type';

// Raw-body routes: the proxy upload (any Content-Type, including application/json for input_example.json
// and text/plain for MLmodel, which the platform's JSON parser would otherwise parse and cap at 8 MB).
const UPLOAD_ROUTE = /^\/(?:ajax-)?api\/2\.0\/mlflow-artifacts\/artifacts\//;

export function isArtifactUpload(method: string, url: string): boolean {
  return method === 'PUT' && UPLOAD_ROUTE.test(url);
}

/**
 * Makes artifact uploads reach the handler as the raw request stream, unbuffered and unlimited in
 * size, without touching how every other route parses its body: an onRequest hook re-labels the
 * Content-Type of upload requests only, and a parser registered for that label alone passes the
 * payload stream through.
 */
@Injectable()
export class RawUploadBody implements OnModuleInit {
  constructor(@Inject(HttpAdapterHost) private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const adapter = this.host.httpAdapter;
    if (!adapter) return; // a standalone application context (tests): no HTTP server
    const fastify = adapter.getInstance<FastifyInstance>();
    if (fastify.hasContentTypeParser(ARTIFACT_STREAM_CONTENT_TYPE)) return;
    fastify.addContentTypeParser(ARTIFACT_STREAM_CONTENT_TYPE, (_request, payload, done) => done(null, payload));
    fastify.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
      if (isArtifactUpload(request.method, request.url)) {
        const original = request.headers['content-type'];
        if (original !== undefined) request.headers[ORIGINAL_CONTENT_TYPE_HEADER] = original;
        request.headers['content-type'] = ARTIFACT_STREAM_CONTENT_TYPE;
      }
      done();
    });
  }
}

// How much of a failed upload's body is read and thrown away so that its sender gets the answer,
// and for how long; past either the connection is closed instead (the sender then sees a reset).
const MAX_DISCARD_BYTES = 256 * 1024 * 1024;
const MAX_DISCARD_MS = 30_000;

/**
 * After an upload failed (quota crossed, storage refused, a bad path), reads the rest of its body
 * and throws it away. Clients such as mlflow's send the whole body before they read the answer: if
 * the server stopped reading, they would see their connection reset, or stall, instead of the error.
 * Bounded: a body too long or too slow to drain has its connection closed.
 */
export function discardRestOfBody(body: Readable): void {
  if (body.readableEnded || body.destroyed) return;
  let discarded = 0;
  const timer = setTimeout(() => body.destroy(), MAX_DISCARD_MS);
  timer.unref();
  body.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARD_BYTES) body.destroy();
  });
  body.once('close', () => clearTimeout(timer));
  body.resume();
}
