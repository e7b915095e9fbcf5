import type { Readable } from 'node:stream';
import { isDirectlyWritable } from '@cairn/blobstore';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ArtifactDownload, DownloadRequest } from '../application/artifact-queries';
import { guessMimeType } from '../domain/mime-type';

/**
 * Streams a download as MLflow's `_send_artifact` does — always as an attachment with `nosniff`, so
 * an uploaded HTML or SVG never renders as a page of this origin — plus Content-Length, an ETag
 * (the content digest) and single byte ranges.
 */
export function sendArtifact(reply: FastifyReply, download: ArtifactDownload): FastifyReply {
  const { file, range } = download;
  const name = file.path.slice(file.path.lastIndexOf('/') + 1);
  void reply
    .header('content-type', guessMimeType(name))
    .header('content-disposition', contentDisposition(name))
    .header('x-content-type-options', 'nosniff')
    .header('accept-ranges', 'bytes')
    .header('etag', `"${file.digest}"`)
    .header('cache-control', 'no-cache');
  if (range.kind === 'unsatisfiable') {
    return reply
      .status(416)
      .header('content-range', `bytes */${file.size}`)
      .header('content-type', 'application/json')
      .send({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: `Requested range not satisfiable for an artifact of ${file.size} bytes`,
      });
  }
  if (range.kind === 'partial') {
    void reply
      .status(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${file.size}`)
      .header('content-length', String(range.end - range.start + 1));
    return sendBody(reply, download.body);
  }
  return sendBody(reply.status(200).header('content-length', String(file.size)), download.body);
}

/** The download a GET or HEAD asks for: a HEAD is answered from the index, without opening the blob. */
export function downloadRequestOf(request: FastifyRequest): DownloadRequest {
  return { range: request.headers.range, withBody: request.method !== 'HEAD' };
}

/**
 * A body that can write itself into the socket (S3 over plain HTTP) bypasses Fastify's pipe so
 * its buffers are recycled (see DirectlyWritable). A HEAD, which has no body, is answered the same
 * way: Fastify would send it with `Content-Length: 0` instead of the artifact's. The head goes out
 * as Fastify would have sent it; Fastify's onResponse hooks still run when the response finishes.
 * A failure midway can only cut the response short, as Fastify does for a failing stream.
 */
function sendBody(reply: FastifyReply, body: Readable | undefined): FastifyReply {
  if (reply.request.method === 'HEAD') {
    body?.destroy();
    writeHead(reply).end();
    return reply;
  }
  if (body === undefined || !isDirectlyWritable(body)) return reply.send(body);
  body.writeTo(writeHead(reply)).catch((error: unknown) => {
    reply.log.warn({ err: error }, 'artifact download ended early');
    reply.raw.destroy();
  });
  return reply;
}

/** Takes the response over from Fastify and sends its status and headers as Fastify would have. */
function writeHead(reply: FastifyReply): FastifyReply['raw'] {
  reply.hijack();
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value);
  return reply.raw.writeHead(reply.statusCode);
}

/** `attachment` with an ASCII fallback name and the exact name in RFC 5987 form. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
