import { Readable } from 'node:stream';
import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { z } from 'zod';
import { CONTEXTS, invalidParameter, parseRequest, str, type ContextName } from '@cairn/contracts';
import { exportEvents } from '@cairn/eventing';
import { AccessRules, Database } from '@cairn/platform';
import type { FastifyReply } from 'fastify';
import { EVENT_LOG_ACCESS } from './event-log.access';

const exportQuery = z.object({ context: str.optional(), since: str.optional(), until: str.optional() });

/** An instant as ISO 8601 (`2026-12-08T00:00:00Z`) or epoch milliseconds, as MLflow's timestamps are. */
function instantOf(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = /^[0-9]{1,15}$/.test(value) ? new Date(Number(value)) : new Date(value);
  if (Number.isNaN(date.getTime())) throw invalidParameter(`${name} must be an ISO 8601 time or epoch milliseconds, got '${value}'.`);
  return date;
}

/**
 * `GET /api/2.0/cairn/admin/events[?context=&since=&until=]`: the event logs for audit, as NDJSON
 * (one event a line: its log position and envelope), each context's log in position order and the
 * contexts in a fixed order; streamed in batches, so an export of any size holds little memory.
 */
@Controller('api/2.0/cairn/admin/events')
@AccessRules(EVENT_LOG_ACCESS)
export class EventLogController {
  constructor(@Inject(Database) private readonly database: Database) {}

  @Get()
  exportEvents(@Query() q: unknown, @Res() reply: FastifyReply) {
    const dto = parseRequest(exportQuery, q);
    if (dto.context !== undefined && !(CONTEXTS as readonly string[]).includes(dto.context))
      throw invalidParameter(`Unknown context '${dto.context}'; one of ${CONTEXTS.join(', ')}.`);
    const since = instantOf('since', dto.since);
    const until = instantOf('until', dto.until);
    const events = exportEvents(this.database, { contexts: dto.context === undefined ? undefined : [dto.context as ContextName], since, until });
    async function* lines() {
      for await (const { position, envelope } of events) yield `${JSON.stringify({ position, ...envelope })}\n`;
    }
    return reply.status(200).header('content-type', 'application/x-ndjson').send(Readable.from(lines()));
  }
}
