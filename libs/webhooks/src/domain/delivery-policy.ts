/**
 * What happens after one delivery attempt: pure decisions, so the schedule is tested without
 * waiting 72 hours. Retriable: network errors and timeouts, 5xx, 408 and 429 (honouring
 * Retry-After). Everything else that is not 2xx fails at once: the receiver has refused, and
 * asking again would not change its mind (3xx included: redirects are never followed).
 */
export type AttemptResult =
  | { kind: 'response'; statusCode: number; retryAfter?: string | undefined }
  | { kind: 'error'; message: string }
  /** The SSRF check refused the address: fails closed at once, as MLflow's SSRFProtectionError. */
  | { kind: 'refused'; message: string };

export interface RetrySchedule {
  baseMs: number;
  maxDelayMs: number;
  /** A delivery still failing this long after its event is given up. */
  windowMs: number;
}

export type AttemptDecision =
  { outcome: 'SUCCEEDED' } | { outcome: 'RETRY'; delayMs: number } | { outcome: 'FAILED'; reason: string; windowExhausted: boolean };

export function isRetriableResult(result: AttemptResult): boolean {
  if (result.kind === 'error') return true;
  if (result.kind === 'refused') return false;
  const s = result.statusCode;
  return s >= 500 || s === 408 || s === 429;
}

/** Exponential backoff with "equal jitter": half the step fixed, half random, so retries never bunch at 0. */
export function backoffDelayMs(attempt: number, schedule: RetrySchedule, random: () => number): number {
  const step = Math.min(schedule.maxDelayMs, schedule.baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

export function decideAfterAttempt(input: {
  result: AttemptResult;
  attempt: number;
  eventTimeMs: number;
  nowMs: number;
  schedule: RetrySchedule;
  random: () => number;
}): AttemptDecision {
  const { result, attempt, schedule, nowMs } = input;
  if (result.kind === 'response' && result.statusCode >= 200 && result.statusCode < 300) return { outcome: 'SUCCEEDED' };
  const what = result.kind === 'response' ? `HTTP ${result.statusCode}` : result.message;
  if (!isRetriableResult(result)) return { outcome: 'FAILED', reason: `receiver refused the delivery (${what})`, windowExhausted: false };
  const backoff = backoffDelayMs(attempt, schedule, input.random);
  const asked = result.kind === 'response' ? retryAfterMs(result.retryAfter, nowMs) : undefined;
  // A receiver's Retry-After is honoured, within the same cap as our own backoff.
  const delayMs = asked === undefined ? backoff : Math.min(schedule.maxDelayMs, Math.max(asked, 0));
  if (nowMs + delayMs > input.eventTimeMs + schedule.windowMs) {
    return {
      outcome: 'FAILED',
      reason: `still failing after the ${Math.round(schedule.windowMs / 3_600_000)} h retry window (last: ${what})`,
      windowExhausted: true,
    };
  }
  return { outcome: 'RETRY', delayMs };
}

/**
 * An endpoint is disabled when a delivery ran out its whole retry window (it has been failing for
 * about 72 hours), or after `disableAfter` deliveries in a row ended failed (for instance a 401 from a
 * receiver whose secret no longer matches). A receiver down for an hour is never disabled.
 */
export function shouldDisableEndpoint(input: { consecutiveFailures: number; disableAfter: number; windowExhausted: boolean }): boolean {
  return input.windowExhausted || input.consecutiveFailures >= input.disableAfter;
}
