import { HttpException, NotFoundException } from '@nestjs/common';
import { CairnError, ERROR_CODES, httpStatusOf } from '@cairn/contracts';
import type { FastifyReply } from 'fastify';
import { replyWithMlflowError, toMlflowError } from './error-filter';

describe('errors on the wire', () => {
  it("keep MLflow's status for each code, and a client mistake is never a 5xx", () => {
    expect(httpStatusOf('INVALID_PARAMETER_VALUE')).toBe(400);
    expect(httpStatusOf('RESOURCE_ALREADY_EXISTS')).toBe(400);
    expect(httpStatusOf('RESOURCE_DOES_NOT_EXIST')).toBe(404);
    expect(httpStatusOf('INVALID_STATE')).toBe(400);
    for (const code of ERROR_CODES) expect(httpStatusOf(code)).toBeGreaterThanOrEqual(400);
  });

  it('map a CairnError to {error_code, message}', () => {
    expect(toMlflowError(new CairnError('RESOURCE_DOES_NOT_EXIST', "Run 'x' not found"))).toEqual({
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: "Run 'x' not found" },
    });
  });

  it('map framework errors to MLflow codes and keep them 4xx', () => {
    expect(toMlflowError(new NotFoundException('Cannot GET /x'))).toEqual({
      status: 404,
      body: { error_code: 'ENDPOINT_NOT_FOUND', message: 'Cannot GET /x' },
    });
    expect(toMlflowError(Object.assign(new Error('too big'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' })).status).toBe(413);
    expect(toMlflowError(Object.assign(new Error('Malformed request: request body is not valid JSON'), { statusCode: 400 }))).toEqual({
      status: 400,
      body: { error_code: 'BAD_REQUEST', message: 'Malformed request: request body is not valid JSON' },
    });
    expect(toMlflowError(new HttpException('teapot', 418)).status).toBe(418);
  });

  it('hide internals of unexpected errors behind a 500', () => {
    expect(toMlflowError(new Error('connection string postgres://secret'))).toEqual({
      status: 500,
      body: { error_code: 'INTERNAL_ERROR', message: 'Internal server error' },
    });
  });

  it('tell a client when to come back whenever the answer is TEMPORARILY_UNAVAILABLE', () => {
    const sent = (exception: unknown) => {
      const headers: Record<string, string> = {};
      const reply = { header: (k: string, v: string) => ((headers[k] = v), reply), status: () => reply, send: () => reply };
      replyWithMlflowError(reply as unknown as FastifyReply, exception);
      return headers['retry-after'];
    };
    expect(sent(new CairnError('TEMPORARILY_UNAVAILABLE', 'Artifact storage is unreachable right now'))).toBe('1');
    expect(sent(new CairnError('RESOURCE_DOES_NOT_EXIST', 'no such run'))).toBeUndefined();
  });

  it('answer a database-away error that reached the filter unmapped (through Prisma) with 503, not a 500', () => {
    let status = 0;
    let body: unknown;
    const reply = { header: () => reply, status: (s: number) => ((status = s), reply), send: (b: unknown) => ((body = b), reply) };
    replyWithMlflowError(reply as unknown as FastifyReply, Object.assign(new Error("Can't reach database server at 127.0.0.1:5432"), { code: 'P1001' }));
    expect({ status, body }).toEqual({
      status: 503,
      body: { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'The database is unreachable right now. Retry shortly.' },
    });
  });
});
