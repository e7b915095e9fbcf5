import { Injectable, Module, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { READ_ALL, type ReadScope, type ResourceType } from '@cairn/contracts';
import { OPEN_ACCESS } from '@cairn/platform';
import type { FastifyRequest } from 'fastify';

const HEADER = 'x-test-read-scopes';

/** The header that makes `ReadScopesFromHeaderModule` give a request these read scopes (read-all where absent). */
export function readScopesHeader(scopes: Partial<Record<ResourceType, ReadScope>>): Record<string, string> {
  return { [HEADER]: JSON.stringify(scopes) };
}

/**
 * A stand-in for the identity guard, for specs of a context's routes: sets `request.cairnAccess`
 * before any handler runs, as the real guard does, with the read scopes named by the test header.
 */
@Injectable()
class ReadScopesFromHeader implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers[HEADER];
    if (typeof header === 'string') {
      const scopes = JSON.parse(header) as Partial<Record<ResourceType, ReadScope>>;
      request.cairnAccess = { ...OPEN_ACCESS, readable: (type) => Promise.resolve(scopes[type] ?? READ_ALL) };
    }
    return true;
  }
}

/** Import beside the context module(s) a spec serves. */
@Module({ providers: [{ provide: APP_GUARD, useClass: ReadScopesFromHeader }] })
export class ReadScopesFromHeaderModule {}
