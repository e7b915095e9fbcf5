import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { invalidParameter, notFound } from '@cairn/contracts';
import { ACCESS_GATE, replyWithMlflowError, type AccessGate } from '@cairn/platform';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AliasResolver, type ResolvedAlias } from '../application/alias-resolution';
import { parseWait } from './dto';
import { ALIAS_RESOLVE_ACCESS } from './registry.access';

export const ALIAS_RESOLVE_PATH = '/api/2.0/cairn/registered-models/alias/resolve';
const MAX_WAIT_MS = 60_000;

/**
 * `GET /api/2.0/cairn/registered-models/alias/resolve?name=&alias=[&wait=30s]` — what an alias
 * points at, for serving pods polling by the hundred. Registered as a plain Fastify route (not a
 * Nest controller) because it is the hot path: a cached answer is one Map lookup and a pre-serialised
 * body. ETag/If-None-Match answers 304 when unchanged; with `wait`, an If-None-Match request
 * long-polls until the alias moves or the wait ends (then 304).
 */
@Injectable()
export class AliasResolveRoute implements OnModuleInit {
  constructor(
    @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
    @Inject(AliasResolver) private readonly aliases: AliasResolver,
    @Inject(ACCESS_GATE) private readonly gate: AccessGate,
  ) {}

  onModuleInit(): void {
    const adapter = this.host.httpAdapter;
    if (!adapter) return; // a standalone application context (tests): no HTTP server
    const fastify = adapter.getInstance<FastifyInstance>();
    fastify.get(ALIAS_RESOLVE_PATH, (request, reply) => this.handle(request, reply));
  }

  private async handle(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      // Not a Nest route, so the identity guard does not run by itself: the same check, explicitly.
      await this.gate.admit(request, reply, ALIAS_RESOLVE_ACCESS);
      const query = request.query as Record<string, unknown>;
      const name = single(query['name'], 'name');
      const alias = single(query['alias'], 'alias');
      const wait = query['wait'] === undefined ? undefined : single(query['wait'], 'wait');
      const header = request.headers['if-none-match'];
      const known = typeof header === 'string' ? header : undefined;
      const resolution: ResolvedAlias =
        wait !== undefined && known !== undefined
          ? await this.aliases.watch(name, alias, known, parseWait(wait, MAX_WAIT_MS))
          : await this.aliases.resolve(name, alias);
      void reply.header('etag', resolution.etag).header('cache-control', 'no-cache');
      if (known === resolution.etag) {
        await reply.status(304).send();
        return;
      }
      if (resolution.json === undefined) throw notFound(`Registered model ${name} has no alias ${alias}.`);
      await reply.status(200).header('content-type', 'application/json; charset=utf-8').send(resolution.json);
    } catch (error) {
      replyWithMlflowError(reply, error);
    }
  }
}

function single(value: unknown, field: string): string {
  const v = Array.isArray(value) ? value[0] : value;
  if (typeof v !== 'string' || v === '')
    throw invalidParameter(`Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`);
  return v;
}
