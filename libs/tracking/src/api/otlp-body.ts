import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

const OTLP_CONTENT_TYPE = 'application/x-protobuf';

/**
 * Lets an OTLP export (`POST /v1/traces`, protobuf) reach its handler, which answers MLflow's 501,
 * instead of Fastify's 415 that the client does not recognise (it would then retry the export with
 * every trace). The body is read and dropped: nothing parses protobuf here.
 */
@Injectable()
export class OtlpBodyParser implements OnModuleInit {
  constructor(@Inject(HttpAdapterHost) private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.host.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify || fastify.hasContentTypeParser(OTLP_CONTENT_TYPE)) return;
    fastify.addContentTypeParser(OTLP_CONTENT_TYPE, { parseAs: 'buffer' }, (_request, _body, done) => done(null, {}));
  }
}
