import { ANONYMOUS_PRINCIPAL_NAME, type EventMetadata } from '@cairn/contracts';
import type { FastifyRequest } from 'fastify';
import { accessOf } from './access-rules';

/** The actor of a request nobody authenticated (MLflow's server without auth behaves the same). */
export const ANONYMOUS_ACTOR = ANONYMOUS_PRINCIPAL_NAME;

/**
 * Who asked — the principal the identity guard authenticated (a user, `token:<id>`, an OIDC
 * subject; `anonymous` on a server without authentication), never a header value anyone could
 * forge — and the request's correlation id (`X-Request-Id`/`X-Correlation-Id`, else Fastify's
 * request id), carried into every event the request causes. Every context uses this one definition.
 */
export function eventMetadataOf(request: FastifyRequest): EventMetadata {
  const header = request.headers['x-request-id'] ?? request.headers['x-correlation-id'];
  const correlationId = (Array.isArray(header) ? header[0] : header) ?? String(request.id);
  return { actor: accessOf(request).principal.actor, correlationId, causationId: null };
}
