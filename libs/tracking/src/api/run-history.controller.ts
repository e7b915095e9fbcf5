import { Controller, Get, Inject, Query } from '@nestjs/common';
import { fromQuery, invalidParameter, parseRequest, type RunHistoryResponse } from '@cairn/contracts';
import { AccessRules } from '@cairn/platform';
import { RunHistoryQueries } from '../application/run-history-queries';
import * as s from './schemas';
import { RUN_HISTORY_ACCESS } from './run-history.access';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/** A run's audit trail, which MLflow does not keep: every change, by whom and when, newest first. */
@Controller(['api/2.0/cairn', 'ajax-api/2.0/cairn'])
@AccessRules(RUN_HISTORY_ACCESS)
export class RunHistoryController {
  constructor(@Inject(RunHistoryQueries) private readonly history: RunHistoryQueries) {}

  /** `?run_id=&max_results=&page_token=&include_metrics=false` → `{run_id, changes, next_page_token?}`. */
  @Get('runs/history')
  async runHistory(@Query() q: unknown): Promise<RunHistoryResponse> {
    const dto = parseRequest(s.runHistory, fromQuery(q));
    const limit = dto.max_results ?? DEFAULT_PAGE;
    if (limit < 1 || limit > MAX_PAGE) throw invalidParameter(`max_results must be between 1 and ${MAX_PAGE}, got ${limit}.`);
    const token = dto.page_token === undefined || dto.page_token === '' ? undefined : dto.page_token;
    if (token !== undefined && !/^[1-9]\d{0,9}$/.test(token)) throw invalidParameter('Invalid page token: start again without one.');
    const page = await this.history.runHistory(dto.run_id, token === undefined ? undefined : Number(token), limit, dto.include_metrics ?? true);
    return {
      run_id: dto.run_id,
      changes: page.items.map((c) => ({
        event_id: c.eventId,
        type: c.type,
        actor: c.actor,
        time: c.occurredAt,
        sequence: c.sequence,
        summary: c.summary,
        details: c.details,
      })),
      ...(page.nextPageToken !== undefined ? { next_page_token: page.nextPageToken } : {}),
    };
  }
}
