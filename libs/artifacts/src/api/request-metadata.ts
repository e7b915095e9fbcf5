import type { EventMetadata } from '@cairn/contracts';
import type { FastifyRequest } from 'fastify';

/** Who asked (Basic auth user if any) and the request's correlation id, carried into every event. */
export function metadataOf(request: FastifyRequest): EventMetadata {
  const header = request.headers['x-request-id'] ?? request.headers['x-correlation-id'];
  const correlationId = (Array.isArray(header) ? header[0] : header) ?? String(request.id);
  return { actor: actorOf(request.headers.authorization), correlationId, causationId: null };
}

function actorOf(authorization: string | undefined): string {
  if (authorization?.startsWith('Basic ')) {
    const user = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':')[0];
    if (user) return user;
  }
  return 'anonymous';
}

/**
 * The artifact path of a request, taken from the raw URL (not the router's decoded parameter), so
 * that the one decoding that counts is the path module's decode-until-stable.
 */
export function rawPathAfter(url: string, marker: string): string {
  const query = url.indexOf('?');
  const pathname = query === -1 ? url : url.slice(0, query);
  const at = pathname.indexOf(marker);
  return at === -1 ? '' : pathname.slice(at + marker.length);
}
