import { MetricsRegistry } from './metrics';

const collectFailures = async (metrics: MetricsRegistry) =>
  (await metrics.registry.getSingleMetric('cairn_metric_collect_failures_total')?.get())?.values.map(({ labels, value }) => [labels['metric'], value]);

describe('a gauge read at scrape time', () => {
  it('serves its last known value within about a second when the read hangs, and counts the miss', async () => {
    const metrics = new MetricsRegistry('test');
    let hang = false;
    let reads = 0;
    metrics.gauge('cairn_test_lag', 'lag', [], async function () {
      reads++;
      if (hang) await new Promise(() => undefined);
      this.set(7);
    });
    expect(await metrics.registry.metrics()).toMatch(/^cairn_test_lag\{service="test"\} 7$/m);

    hang = true;
    for (let scrape = 0; scrape < 2; scrape++) {
      const startedAt = Date.now();
      const text = await metrics.registry.metrics();
      expect(Date.now() - startedAt).toBeLessThan(1_500);
      expect(text).toMatch(/^cairn_test_lag\{service="test"\} 7$/m);
    }
    expect(await collectFailures(metrics)).toEqual([['cairn_test_lag', 2]]);
    // The hung read is joined by later scrapes, not started again.
    expect(reads).toBe(2);
  });

  it('never fails the scrape when the read throws', async () => {
    const metrics = new MetricsRegistry('test');
    metrics.gauge('cairn_test_broken', 'broken', [], () => {
      throw new Error('Kafka is away');
    });
    await expect(metrics.registry.metrics()).resolves.toMatch(/^cairn_test_broken\{service="test"\} 0$/m);
    expect(await collectFailures(metrics)).toEqual([['cairn_test_broken', 1]]);
  });
});
