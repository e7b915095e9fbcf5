import { Registry, collectDefaultMetrics, Histogram, Gauge, Counter } from 'prom-client';

/** How long a scrape waits for a gauge read at scrape time before serving its last known value. */
const COLLECT_TIMEOUT_MS = 1_000;

/** One Prometheus registry per process; contexts register their own instruments on it. */
export class MetricsRegistry {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly collectFailures: Counter<'metric'>;

  constructor(serviceName: string) {
    this.registry.setDefaultLabels({ service: serviceName });
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'cairn_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [this.registry],
    });
    this.collectFailures = new Counter({
      name: 'cairn_metric_collect_failures_total',
      help: `Scrapes that served a gauge's last known value because reading it failed or took over ${COLLECT_TIMEOUT_MS} ms`,
      labelNames: ['metric'],
      registers: [this.registry],
    });
  }

  /**
   * `collect`, when given, runs at each scrape to set the gauge's values (`this` is the gauge).
   * A scrape never fails nor hangs on it: a read that throws or takes over COLLECT_TIMEOUT_MS
   * leaves the last known values (counted in cairn_metric_collect_failures_total), and a read still
   * running is joined, not started again (Kafka away makes each last its client's retries).
   */
  gauge(name: string, help: string, labelNames: string[] = [], collect?: (this: Gauge<string>) => Promise<void> | void) {
    if (collect === undefined) return new Gauge({ name, help, labelNames, registers: [this.registry] });
    const failures = this.collectFailures;
    let reading: Promise<void> | undefined;
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        reading ??= (async () => collect.call(this))().finally(() => (reading = undefined));
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), COLLECT_TIMEOUT_MS)));
        try {
          await Promise.race([reading, late]);
        } catch {
          failures.inc({ metric: name });
        } finally {
          clearTimeout(timer);
        }
      },
    });
  }

  counter(name: string, help: string, labelNames: string[] = []) {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}
