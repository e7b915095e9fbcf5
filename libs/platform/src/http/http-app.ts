import type { INestApplication, LoggerService, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { CairnConfig } from '../config/config';
import type { MetricsRegistry } from '../observability/metrics';
import { MlflowErrorFilter } from './error-filter';

// MLflow's own server caps request bodies; log-batch is further limited to 1 MB by the tracking API.
const JSON_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * Builds a NestJS application on Fastify with what every Cairn service shares: MLflow-shaped errors,
 * lenient JSON parsing (the mlflow client and curl users do not always send a content type), and
 * request latency metrics.
 */
export async function createHttpApp(
  rootModule: Type<unknown>,
  options: { logger: LoggerService; metrics: MetricsRegistry; trustProxy?: false | number | string },
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: JSON_BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: 2000 },
    return503OnClosing: false,
    // The client address (sign-in limits, logs) comes from X-Forwarded-For only through trusted proxies.
    trustProxy: options.trustProxy ?? false,
  });
  const fastify = adapter.getInstance();
  // Nest's own body parser is disabled (bodyParser: false below) so this one decides what JSON is.
  fastify.addContentTypeParser(['application/json', 'text/plain', 'application/x-www-form-urlencoded'], { parseAs: 'string' }, parseJsonBody);
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    options.metrics.httpDuration.labels(request.method, route, String(reply.statusCode)).observe(reply.elapsedTime / 1000);
    done();
  });
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, { logger: options.logger, bufferLogs: false, bodyParser: false });
  app.useGlobalFilters(new MlflowErrorFilter());
  return app;
}

function parseJsonBody(_request: unknown, body: string | Buffer, done: (err: Error | null, value?: unknown) => void) {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') return done(null, {});
  try {
    done(null, JSON.parse(text));
  } catch {
    const error = new Error('Malformed request: request body is not valid JSON') as Error & { statusCode: number };
    error.statusCode = 400;
    done(error);
  }
}

export async function listen(app: INestApplication, config: Pick<CairnConfig, 'host' | 'port'>): Promise<string> {
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address() as { port: number } | string;
  const port = typeof address === 'string' ? config.port : address.port;
  return `http://${config.host}:${port}`;
}
