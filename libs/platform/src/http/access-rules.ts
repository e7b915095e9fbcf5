import { SetMetadata } from '@nestjs/common';
import { ANONYMOUS_PRINCIPAL_NAME, READ_ALL, type AccessContext, type AccessTable, type Principal, type RouteAccess } from '@cairn/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Metadata key under which a controller carries its route access table. */
export const ACCESS_TABLE = 'cairn:access-table';

/**
 * Attaches a controller's access table (libs/contracts route-access.ts). The identity context's
 * guard refuses any handler of a controller without one, so a new controller cannot ship open.
 */
export const AccessRules = <C>(table: AccessTable<C>): ClassDecorator => SetMetadata(ACCESS_TABLE, table);

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the identity guard before any handler runs: who asked and what it may see. */
    cairnAccess?: AccessContext;
  }
}

export const ANONYMOUS_PRINCIPAL: Principal = {
  kind: 'anonymous',
  userId: undefined,
  username: ANONYMOUS_PRINCIPAL_NAME,
  actor: ANONYMOUS_PRINCIPAL_NAME,
  isAdmin: false,
  groups: [],
};

/** What a server without authentication (CAIRN_AUTH=none) lets anyone do: everything. */
export const OPEN_ACCESS: AccessContext = {
  principal: ANONYMOUS_PRINCIPAL,
  readable: () => Promise.resolve(READ_ALL),
  permissionOn: () => Promise.resolve('MANAGE'),
};

/** The caller of a request, as the identity guard authenticated it (open access before the guard ran). */
export function accessOf(request: FastifyRequest): AccessContext {
  return request.cairnAccess ?? OPEN_ACCESS;
}

/**
 * The identity guard's check, for the few routes registered on Fastify directly rather than through
 * a Nest controller (the alias-resolve hot path): they call `admit` with their access entry first.
 * Throws the same 401/403 the guard would.
 */
export interface AccessGate {
  admit(request: FastifyRequest, reply: FastifyReply, entry: RouteAccess): Promise<void>;
}

export const ACCESS_GATE = Symbol('AccessGate');
