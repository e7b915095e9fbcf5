import type { LoggerService } from '@nestjs/common';
import pino, { type Logger as PinoLogger } from 'pino';
import type { CairnConfig } from '../config/config';

const NEST_STARTUP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

/** Structured JSON logs (pino) behind Nest's LoggerService, so framework and our code log alike. */
export class JsonLogger implements LoggerService {
  readonly pino: PinoLogger;

  constructor(config: Pick<CairnConfig, 'logLevel' | 'serviceName'>) {
    this.pino = pino({ level: config.logLevel, base: { service: config.serviceName } });
  }

  log(message: unknown, context?: string) {
    // Nest's start-up chatter (every module and route) is useful when debugging, noise otherwise.
    if (context !== undefined && NEST_STARTUP_CONTEXTS.has(context)) this.pino.debug({ context }, stringify(message));
    else this.pino.info({ context }, stringify(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.pino.error({ context, trace }, stringify(message));
  }
  warn(message: unknown, context?: string) {
    this.pino.warn({ context }, stringify(message));
  }
  debug(message: unknown, context?: string) {
    this.pino.debug({ context }, stringify(message));
  }
  verbose(message: unknown, context?: string) {
    this.pino.trace({ context }, stringify(message));
  }
}

function stringify(message: unknown): string {
  return typeof message === 'string' ? message : message instanceof Error ? message.message : JSON.stringify(message);
}
