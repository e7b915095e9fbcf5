import type { ContextName } from '@cairn/contracts';
import { readRebuildProgress, type RebuildProgress } from '@cairn/eventing';
import type { MetricsRegistry, Sql } from '@cairn/platform';
import type { Counter } from 'prom-client';

/**
 * Online rebuilds as metrics, named as the eventing ones are: the progress of each context's latest
 * rebuild (read from the database when /metrics is scraped, so every replica reports the figures of
 * the one running it), and how rebuilds ended.
 */
export class ReadModelRebuildMetrics {
  private readonly outcomes: Counter<string>;

  /** `contexts`: those whose read models this process serves. */
  constructor(metrics: MetricsRegistry, sql: Sql, contexts: () => readonly ContextName[]) {
    const latest = async () => {
      const all: RebuildProgress[] = [];
      for (const context of contexts()) {
        const progress = await readRebuildProgress(sql, context);
        if (progress !== null) all.push(progress);
      }
      return all;
    };
    metrics.gauge('cairn_read_model_rebuild_running', '1 while an online rebuild of the context read model runs', ['context'], async function () {
      this.reset();
      for (const p of await latest()) this.set({ context: p.context }, p.state === 'running' ? 1 : 0);
    });
    metrics.gauge('cairn_read_model_rebuild_events_applied', 'Events the latest rebuild of the context read model has applied', ['context'], async function () {
      this.reset();
      for (const p of await latest()) this.set({ context: p.context }, p.eventsApplied);
    });
    metrics.gauge(
      'cairn_read_model_rebuild_events_total',
      'Events the latest rebuild of the context read model has to apply (the logs at its start, plus those caught up)',
      ['context'],
      async function () {
        this.reset();
        for (const p of await latest()) this.set({ context: p.context }, p.eventsTotal);
      },
    );
    this.outcomes = metrics.counter('cairn_read_model_rebuilds_total', 'Online read-model rebuilds run by this process, by outcome (succeeded, failed)', [
      'context',
      'outcome',
    ]);
  }

  finished(progress: RebuildProgress): void {
    this.outcomes.inc({ context: progress.context, outcome: progress.state === 'succeeded' ? 'succeeded' : 'failed' });
  }
}
