import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CairnError, type AccessLookup, type AccessRequest, type AccessTable, type RouteAccess } from '@cairn/contracts';
import { ACCESS_TABLE, ANONYMOUS_PRINCIPAL, Database, OPEN_ACCESS, type AccessGate } from '@cairn/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessControl } from '../application/access-control';
import { SESSION_COOKIE } from './cookies';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The access entry of the handler a request reached, from its controller's table (undefined: none). */
export function accessEntryOf(reflector: Reflector, context: ExecutionContext): RouteAccess | undefined {
  const table = reflector.get<AccessTable<Record<string, () => unknown>> | undefined>(ACCESS_TABLE, context.getClass());
  return table?.[context.getHandler().name];
}

/** What an access rule reads of a request (locators, grant effects): one construction for both. */
export const accessRequestOf = (request: FastifyRequest): AccessRequest => ({
  params: (request.params ?? {}) as AccessRequest['params'],
  query: (request.query ?? {}) as AccessRequest['query'],
  body: request.body,
  url: request.url,
});

/**
 * Whether the browser says another site's page sent the request. Fetch metadata says so directly;
 * browsers that send none (Chromium to a plain-http origin, older Safari) still send `Origin` on a
 * cross-origin POST, which is then compared with the host the request was sent to (as a proxy
 * forwards it). Non-browser clients send neither: never "another site".
 */
export function sentFromOtherSite(request: FastifyRequest): boolean {
  const fetchSite = headerValue(request.headers['sec-fetch-site']);
  if (fetchSite !== undefined) return fetchSite === 'cross-site' || fetchSite === 'same-site';
  const origin = headerValue(request.headers.origin);
  if (origin === undefined) return false;
  if (origin === 'null') return true; // an opaque origin: a sandboxed page or a file
  const host = headerValue(request.headers['x-forwarded-host'])?.split(',')[0]?.trim() ?? headerValue(request.headers.host);
  try {
    return host === undefined || new URL(origin).host !== host;
  } catch {
    return true;
  }
}

export const routeOf = (request: FastifyRequest) => `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;

/**
 * The global guard (every route of every service): finds the handler's access entry, authenticates
 * the caller and applies the entry, then leaves the caller's AccessContext on the request for
 * handlers and event metadata. With CAIRN_AUTH=none it only checks that the entry exists.
 */
@Injectable()
export class AccessGuard implements CanActivate, AccessGate {
  private readonly lookup: AccessLookup;

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AccessControl) private readonly access: AccessControl,
    @Inject(Database) database: Database,
  ) {
    this.lookup = { query: async <R>(text: string, values: unknown[]) => (await database.query(text, values)).rows as R[] };
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    await this.admit(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), accessEntryOf(this.reflector, context));
    return true;
  }

  async admit(request: FastifyRequest, reply: FastifyReply, entry: RouteAccess | undefined): Promise<void> {
    const route = routeOf(request);
    if (!this.access.enabled) {
      if (entry === undefined) await this.access.authorize(entry, undefined, emptyRequest, this.lookup, route);
      request.cairnAccess = OPEN_ACCESS;
      return;
    }
    const fetchSite = headerValue(request.headers['sec-fetch-site']);
    try {
      const principal = await this.access
        .authenticate({
          authorization: request.headers.authorization,
          sessionCookie: cookieValue(request.headers.cookie, SESSION_COOKIE),
          csrfHeader: headerValue(request.headers['x-csrf-token']),
          safeMethod: SAFE_METHODS.has(request.method),
          sameOrigin: fetchSite === 'same-origin',
          fromOtherSite: sentFromOtherSite(request),
          clientAddress: request.ip,
          route,
        })
        .catch((error: unknown) => {
          // A public route needs no credentials, so stale ones (an ended session's cookie) must not
          // lock the caller out of it — above all out of signing in again.
          if (entry?.kind === 'public' && error instanceof CairnError && (error.code === 'UNAUTHENTICATED' || error.code === 'PERMISSION_DENIED'))
            return undefined;
          throw error;
        });
      await this.access.authorize(entry, principal, accessRequestOf(request), this.lookup, route);
      request.cairnAccess = this.access.contextFor(principal ?? ANONYMOUS_PRINCIPAL);
    } catch (error) {
      if (error instanceof CairnError && error.code === 'UNAUTHENTICATED') {
        // MLflow's challenge, so browsers and curl know which credentials to send.
        void reply.header('www-authenticate', this.challenge());
      }
      throw error;
    }
  }

  private challenge(): string {
    return this.access.mode === 'oidc' ? 'Bearer realm="cairn"' : 'Basic realm="mlflow"';
  }
}

const emptyRequest: AccessRequest = { params: {}, query: {}, body: undefined };

const headerValue = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** One cookie's value from a Cookie header (no library: one name, no attributes to parse). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined; // a malformed cookie is no cookie (a URIError here would answer 500 everywhere)
      }
    }
  }
  return undefined;
}
