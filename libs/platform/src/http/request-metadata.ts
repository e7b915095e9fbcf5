import type { EventMetadata } from '@cairn/contracts';
import type { FastifyRequest } from 'fastify';

/** The actor of a request nobody authenticated (MLflow's server without auth behaves the same). */
export const ANONYMOUS_ACTOR = 'anonymous';

/**
 * Who asked (the Basic-auth user, as the mlflow client sends with MLFLOW_TRACKING_USERNAME) and the
 * request's correlation id (`X-Request-Id`/`X-Correlation-Id`, else Fastify's request id), carried
 * into every event the request causes. Every context uses this one definition.
 */
export function eventMetadataOf(request: FastifyRequest): EventMetadata {
  const header = request.headers['x-request-id'] ?? request.headers['x-correlation-id'];
  const correlationId = (Array.isArray(header) ? header[0] : header) ?? String(request.id);
  return { actor: actorOf(request.headers.authorization), correlationId, causationId: null };
}

function actorOf(authorization: string | undefined): string {
  if (authorization?.startsWith('Basic ')) {
    const user = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8').split(':')[0];
    if (user) return user;
  }
  return ANONYMOUS_ACTOR;
}
