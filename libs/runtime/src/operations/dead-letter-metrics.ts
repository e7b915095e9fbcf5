import type { ContextName } from '@cairn/contracts';
import type { DeadLetters, ReplayResult } from '@cairn/eventing';
import type { MetricsRegistry } from '@cairn/platform';
import type { Counter } from 'prom-client';

/**
 * Dead letters as metrics, named as the eventing ones are: how many wait per consumer (read from
 * the tables when /metrics is scraped, so every replica reports the same figure), and what
 * operators did with them.
 */
export class DeadLetterMetrics {
  private readonly replays: Counter<string>;
  private readonly discards: Counter<string>;

  /** `contexts`: those whose consumers run in this process. */
  constructor(metrics: MetricsRegistry, deadLetters: DeadLetters, contexts: () => readonly ContextName[]) {
    metrics.gauge(
      'cairn_dead_letter_events',
      'Events a consumer dead-lettered that are neither replayed nor discarded',
      ['context', 'consumer'],
      async function () {
        this.reset();
        for (const context of contexts()) for (const { consumer, count } of await deadLetters.pendingCounts(context)) this.set({ context, consumer }, count);
      },
    );
    this.replays = metrics.counter('cairn_dead_letter_replays_total', 'Dead letters replayed by an operator, by outcome (applied, failed)', [
      'context',
      'consumer',
      'outcome',
    ]);
    this.discards = metrics.counter('cairn_dead_letter_discards_total', 'Dead letters discarded by an operator', ['context', 'consumer']);
  }

  replayed(context: ContextName, results: readonly ReplayResult[]): void {
    for (const r of results) this.replays.inc({ context, consumer: r.consumer, outcome: r.outcome });
  }

  discarded(context: ContextName, consumer: string): void {
    this.discards.inc({ context, consumer });
  }
}
