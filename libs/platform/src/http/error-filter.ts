import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { CairnError, type ErrorCode } from '@cairn/contracts';
import type { FastifyReply } from 'fastify';
import { asBusyError, BUSY_RETRY_AFTER_S, DatabaseBusyError } from '../database/database';

/**
 * The one place where errors become MLflow's `{error_code, message}` body and an HTTP status.
 * Contexts throw CairnError; framework errors (bad JSON, body too large, unknown route) are mapped
 * to the closest MLflow code and always stay 4xx, because the mlflow client retries 5xx.
 */
@Catch()
export class MlflowErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    replyWithMlflowError(host.switchToHttp().getResponse<FastifyReply>(), exception);
  }
}

const logger = new Logger('http');

/**
 * Sends `exception` as MLflow's error answer: what the filter does for Nest routes, for the few
 * plain Fastify routes (hot paths) to call themselves. Server errors are logged; TEMPORARILY_UNAVAILABLE
 * (503) answers carry Retry-After.
 */
export function replyWithMlflowError(reply: FastifyReply, raised: unknown): void {
  // A database error that reached here unmapped (through Prisma, which the identity and webhook
  // stores use) is still a 503 when it says the database is away, not a 500 logged as a bug.
  const exception = asBusyError(raised);
  const { status, body } = toMlflowError(exception);
  if (status >= 500 && status !== 503) logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
  if (exception instanceof DatabaseBusyError) logger.warn(`${body.message} (${String((exception.cause as Error | undefined)?.message ?? '')})`);
  // Every "away for now" answer (a busy or unreachable database, an unreachable artifact store, an
  // identity provider down) tells the client when to come back; MLflow's client honours it.
  if (body.error_code === 'TEMPORARILY_UNAVAILABLE') void reply.header('retry-after', String(BUSY_RETRY_AFTER_S));
  void reply.status(status).header('content-type', 'application/json').send(body);
}

export function toMlflowError(exception: unknown): { status: number; body: { error_code: ErrorCode; message: string } } {
  if (exception instanceof CairnError) return { status: exception.httpStatus, body: exception.toJSON() };
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const message = messageOf(exception.getResponse()) ?? exception.message;
    return { status, body: { error_code: codeForStatus(status), message } };
  }
  const fastifyError = exception as { statusCode?: number; code?: string; message?: string };
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const status = fastifyError.statusCode;
    const message =
      fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'Request body is too large'
        : fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'Unsupported content type'
          : (fastifyError.message ?? 'Malformed request');
    return { status, body: { error_code: status === 413 ? 'RESOURCE_EXHAUSTED' : codeForStatus(status), message } };
  }
  return { status: 500, body: { error_code: 'INTERNAL_ERROR', message: 'Internal server error' } };
}

function codeForStatus(status: number): ErrorCode {
  if (status === 404) return 'ENDPOINT_NOT_FOUND';
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 405) return 'ENDPOINT_NOT_FOUND';
  if (status === 409) return 'RESOURCE_CONFLICT';
  if (status === 429) return 'REQUEST_LIMIT_EXCEEDED';
  if (status < 500) return 'BAD_REQUEST';
  return 'INTERNAL_ERROR';
}

function messageOf(response: unknown): string | undefined {
  if (typeof response === 'string') return response;
  if (response && typeof response === 'object' && 'message' in response) {
    const m = (response as { message: unknown }).message;
    return Array.isArray(m) ? m.join('; ') : typeof m === 'string' ? m : undefined;
  }
  return undefined;
}
