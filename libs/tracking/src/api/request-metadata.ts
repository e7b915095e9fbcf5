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
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const user = decoded.split(':')[0];
    if (user) return user;
  }
  return 'anonymous';
}
