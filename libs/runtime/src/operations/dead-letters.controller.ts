import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { z } from 'zod';
import {
  bool,
  CairnError,
  CONTEXTS,
  int64,
  invalidParameter,
  notFound,
  parseRequest,
  required,
  str,
  type ContextName,
  type DeadLetterWire,
  type GetDeadLetterResponse,
  type ListDeadLettersResponse,
  type ReplayDeadLetterResponse,
  type ReplayDeadLettersResponse,
} from '@cairn/contracts';
import { ConsumerNotHereError, DeadLetterNotFoundError, DeadLetters, type DeadLetter } from '@cairn/eventing';
import { AccessRules, accessOf } from '@cairn/platform';
import type { FastifyRequest } from 'fastify';
import { DEAD_LETTERS_ACCESS } from './dead-letters.access';
import { DeadLetterMetrics } from './dead-letter-metrics';

const MAX_RESULTS = 1000;

const listQuery = z.object({
  consumer: str.optional(),
  max_results: int64.optional().default(100),
  page_token: str.optional(),
  include_discarded: bool.optional().default(false),
});
const replayAllBody = z.object({ consumer: str.optional() });
const discardBody = z.object({ reason: required(str.min(1, 'a reason is required')) });

function contextOf(value: string): ContextName {
  if (!(CONTEXTS as readonly string[]).includes(value)) throw invalidParameter(`Unknown context '${value}'; one of ${CONTEXTS.join(', ')}.`);
  return value as ContextName;
}

function idOf(value: string): string {
  if (!/^[1-9][0-9]{0,18}$/.test(value)) throw invalidParameter(`Invalid dead letter id '${value}'.`);
  return value;
}

/** The page token is the last id of the page, opaque to clients. */
const pageToken = {
  encode: (id: string) => Buffer.from(id).toString('base64url'),
  decode: (token: string) => {
    const id = Buffer.from(token, 'base64url').toString();
    if (!/^[0-9]{1,19}$/.test(id)) throw invalidParameter('Invalid page_token.');
    return id;
  },
};

const toWire = (context: ContextName, d: DeadLetter): DeadLetterWire => ({
  id: d.id,
  context,
  consumer: d.consumer,
  event_id: d.eventId,
  event_type: d.eventType,
  envelope: d.envelope,
  raw_message: d.rawMessage,
  reason: d.reason,
  attempts: d.attempts,
  source_topic: d.sourceTopic,
  source_partition: d.sourcePartition,
  source_offset: d.sourceOffset,
  dead_lettered_at: d.deadLetteredAt,
  last_replayed_at: d.lastReplayedAt,
  discarded_at: d.discardedAt,
  discarded_by: d.discardedBy,
  discard_reason: d.discardReason,
});

/** The eventing library's errors in the API's words (404 for a letter gone, 400 INVALID_STATE for one replayable only elsewhere). */
async function answering<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DeadLetterNotFoundError) throw notFound(error.message);
    if (error instanceof ConsumerNotHereError) throw new CairnError('INVALID_STATE', error.message);
    throw error;
  }
}

/**
 * Dead letters of one context's consumers (docs/operations.md "Dead letters"): list, inspect,
 * replay after a fix (through the consumer's own handler), discard with a reason.
 */
@Controller('api/2.0/cairn/admin/dead-letters')
@AccessRules(DEAD_LETTERS_ACCESS)
export class DeadLettersController {
  constructor(
    @Inject(DeadLetters) private readonly deadLetters: DeadLetters,
    @Inject(DeadLetterMetrics) private readonly metrics: DeadLetterMetrics,
  ) {}

  @Get(':context')
  async list(@Param('context') contextParam: string, @Query() query: unknown): Promise<ListDeadLettersResponse> {
    const context = contextOf(contextParam);
    const q = parseRequest(listQuery, query);
    if (q.max_results < 1 || q.max_results > MAX_RESULTS) throw invalidParameter(`max_results must be between 1 and ${MAX_RESULTS}.`);
    const page = await this.deadLetters.list(context, {
      consumer: q.consumer,
      after: q.page_token === undefined ? undefined : pageToken.decode(q.page_token),
      limit: q.max_results,
      includeDiscarded: q.include_discarded,
    });
    return {
      dead_letters: page.deadLetters.map((d) => toWire(context, d)),
      ...(page.nextAfter !== undefined ? { next_page_token: pageToken.encode(page.nextAfter) } : {}),
    };
  }

  @Get(':context/:id')
  async get(@Param('context') contextParam: string, @Param('id') id: string): Promise<GetDeadLetterResponse> {
    const context = contextOf(contextParam);
    return { dead_letter: toWire(context, await answering(() => this.deadLetters.get(context, idOf(id)))) };
  }

  @Post(':context/replay')
  @HttpCode(200)
  async replayAll(@Param('context') contextParam: string, @Body() body: unknown): Promise<ReplayDeadLettersResponse> {
    const context = contextOf(contextParam);
    const b = parseRequest(replayAllBody, body);
    const { results, notHere } = await this.deadLetters.replayAll(context, { consumer: b.consumer });
    this.metrics.replayed(context, results);
    return {
      applied: results.filter((r) => r.outcome === 'applied').length,
      failed: results.flatMap((r) => (r.outcome === 'failed' ? [{ id: r.id, reason: r.reason }] : [])),
      consumers_elsewhere: notHere,
    };
  }

  @Post(':context/:id/replay')
  @HttpCode(200)
  async replay(@Param('context') contextParam: string, @Param('id') id: string): Promise<ReplayDeadLetterResponse> {
    const context = contextOf(contextParam);
    const result = await answering(() => this.deadLetters.replay(context, idOf(id)));
    this.metrics.replayed(context, [result]);
    return result;
  }

  @Post(':context/:id/discard')
  @HttpCode(200)
  async discard(
    @Param('context') contextParam: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
  ): Promise<GetDeadLetterResponse> {
    const context = contextOf(contextParam);
    const { reason } = parseRequest(discardBody, body);
    const discarded = await answering(() => this.deadLetters.discard(context, idOf(id), accessOf(req).principal.actor, reason));
    this.metrics.discarded(context, discarded.consumer);
    return { dead_letter: toWire(context, discarded) };
  }
}
