import type { ContextName } from '../events/envelope';

/**
 * Cairn's operator API (`/api/2.0/cairn/admin`, admins only): dead letters per context. The path
 * names the context whose consumers wrote them, so a distributed install routes each to the
 * service that runs those consumers.
 */
export const ADMIN_API = '/api/2.0/cairn/admin';

export interface DeadLetterWire {
  id: string;
  context: ContextName;
  consumer: string;
  event_id: string | null;
  event_type: string | null;
  /** The message as received, when it was JSON (the whole envelope). */
  envelope: unknown;
  raw_message: string | null;
  /** The latest error: the consumer's, or the last failed replay's. */
  reason: string;
  attempts: number;
  source_topic: string | null;
  source_partition: number | null;
  source_offset: string | null;
  dead_lettered_at: string;
  last_replayed_at: string | null;
  discarded_at: string | null;
  discarded_by: string | null;
  discard_reason: string | null;
}

/** `GET …/dead-letters/<context>?consumer=&max_results=&page_token=&include_discarded=` */
export interface ListDeadLettersResponse {
  dead_letters: DeadLetterWire[];
  next_page_token?: string;
}

export interface GetDeadLetterResponse {
  dead_letter: DeadLetterWire;
}

export type DeadLetterReplayWire = { id: string; consumer: string; outcome: 'applied' } | { id: string; consumer: string; outcome: 'failed'; reason: string };

/** `POST …/dead-letters/<context>/<id>/replay` */
export type ReplayDeadLetterResponse = DeadLetterReplayWire;

/** `POST …/dead-letters/<context>/replay` `{consumer?}`: every pending letter, oldest first. */
export interface ReplayDeadLettersRequest {
  consumer?: string;
}
export interface ReplayDeadLettersResponse {
  applied: number;
  failed: Array<{ id: string; reason: string }>;
  /** Consumers whose letters were left: they do not run in the process that answered. */
  consumers_elsewhere: string[];
}

/** `POST …/dead-letters/<context>/<id>/discard` */
export interface DiscardDeadLetterRequest {
  reason: string;
}

/** `POST …/read-models/<context>/verify`: the live read model against a rebuild from the logs (nothing is changed). */
export interface VerifyReadModelResponse {
  context: ContextName;
  tables: number;
  rows: number;
  consistent: boolean;
  /** Per table that differs: rows only the live projection has, rows only the rebuild has (a sample, and the counts). */
  differences: Array<{ table: string; projection_only: unknown[]; projection_only_count: number; rebuild_only: unknown[]; rebuild_only_count: number }>;
}

/** A read model's online rebuild, as `POST|GET …/read-models/<context>/rebuild` report it. */
export interface ReadModelRebuildWire {
  context: ContextName;
  /** `running`, `succeeded` or `failed` (the live read model is then unchanged). */
  state: 'running' | 'succeeded' | 'failed';
  /** `building` (into shadow tables), `catching_up`, `swapping`, `done`. */
  phase: 'building' | 'catching_up' | 'swapping' | 'done';
  events_applied: number;
  events_total: number;
  started_at: string;
  finished_at: string | null;
  started_by: string | null;
  error: string | null;
}

export interface RebuildReadModelResponse {
  rebuild: ReadModelRebuildWire;
}
