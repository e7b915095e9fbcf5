import { CairnError, type ContextName } from '@cairn/contracts';

/**
 * Another writer appended to the aggregate first (optimistic concurrency). The caller's transaction
 * is aborted and must be rolled back; a command handler reloads the state, decides again and retries.
 * If it escapes to the API edge it is a 409 RESOURCE_CONFLICT: nothing was written.
 */
export class ConcurrencyError extends CairnError {
  constructor(
    readonly context: ContextName,
    readonly aggregateIds: readonly string[],
    readonly expectedVersion: number | Readonly<Record<string, number>> | undefined,
    options?: { cause?: unknown },
  ) {
    super('RESOURCE_CONFLICT', `concurrent modification of ${context} ${aggregateIds.join(', ')}; retry the request`);
    this.name = 'ConcurrencyError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * A consumer throws this (or any error with `retriable: false`) for an event it can never apply —
 * a broken invariant, data its schema rejects. The event goes straight to dead letters; retrying
 * would only delay the events behind it.
 */
export class NonRetriableError extends Error {
  readonly retriable = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetriableError';
  }
}

/** Errors are retriable unless they say otherwise: transient failures are the common case. */
export function isRetriable(error: unknown): boolean {
  if (error !== null && typeof error === 'object' && 'retriable' in error) return (error as { retriable: unknown }).retriable !== false;
  return true;
}

/** A subscription stopped while a delivery was waiting to retry; the event stays undelivered. */
export class DeliveryAbortedError extends Error {
  constructor(readonly consumer: string) {
    super(`consumer ${consumer} stopped before the event was applied`);
    this.name = 'DeliveryAbortedError';
  }
}

/** The in-process bus refuses a publish while a registered consumer of the topic is stopped. */
export class SubscriberUnavailableError extends Error {
  readonly retriable = true;

  constructor(
    readonly topic: string,
    readonly consumer: string,
  ) {
    super(`consumer ${consumer} of ${topic} is not running; the relay will retry`);
    this.name = 'SubscriberUnavailableError';
  }
}
