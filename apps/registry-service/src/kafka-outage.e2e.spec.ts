import { randomBytes } from 'node:crypto';
import {
  createTestDatabase,
  ensureBuilt,
  runMigrateJob,
  startPrivateKafka,
  startServer,
  waitFor,
  type PrivateKafka,
  type StartedServer,
  type TestDatabase,
} from '@cairn/testing';

// A deployment as the Helm chart runs it (the migration job first, then services that neither
// migrate nor create topics), on a Kafka of this file's own, which then goes away for a while: the
// API stays ready and keeps accepting writes (the outbox keeps their events), /metrics answers at
// once, and once Kafka is back the events written meanwhile reach the other service.
describe('a Kafka outage, with services deployed by the migration job', () => {
  let kafka: PrivateKafka;
  let database: TestDatabase;
  let tracking: StartedServer;
  let registry: StartedServer;
  const prefix = `outage-${randomBytes(4).toString('hex')}.`;

  beforeAll(async () => {
    ensureBuilt();
    [kafka, database] = await Promise.all([startPrivateKafka({ security: 'plaintext' }), createTestDatabase({ migrated: false })]);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([tracking?.stop(), registry?.stop()]);
    await kafka?.destroy();
    await database?.drop();
  }, 60_000);

  const jobEnv = () => ({ CAIRN_DATABASE_URL: database.url, CAIRN_KAFKA_BROKERS: kafka.brokers, CAIRN_KAFKA_TOPIC_PREFIX: prefix });

  it('the migration job refuses to run without a database, exiting 2 and naming the variable', async () => {
    const { code, output } = await runMigrateJob({ CAIRN_KAFKA_BROKERS: kafka.brokers });
    expect({ code, output }).toEqual({ code: 2, output: expect.stringContaining('CAIRN_DATABASE_URL: required by migrate-job') });
  });

  it('the migration job migrates the database and declares the four topics, then exits 0; run again, it changes nothing', async () => {
    const first = await runMigrateJob({ ...jobEnv(), CAIRN_KAFKA_TOPIC_PARTITIONS: '2' });
    expect(first).toEqual({ code: 0, output: expect.stringMatching(/applied migrations: 0001_[\s\S]*Kafka topics declared \(created outage-/) });
    const again = await runMigrateJob({ ...jobEnv(), CAIRN_KAFKA_TOPIC_PARTITIONS: '2' });
    expect(again).toEqual({ code: 0, output: expect.stringMatching(/no migration pending[\s\S]*Kafka topics declared \(all existed\)/) });
  }, 60_000);

  it('services that neither migrate nor create topics start on what the job prepared', async () => {
    const env = { ...jobEnv(), CAIRN_MIGRATE_ON_START: 'false', CAIRN_KAFKA_CREATE_TOPICS: 'false', CAIRN_RELAY_INTERVAL_MS: '100' };
    [tracking, registry] = await Promise.all([
      startServer({ app: 'tracking-service', database, env, timeoutMs: 90_000 }),
      startServer({ app: 'registry-service', database, env, timeoutMs: 90_000 }),
    ]);
    const runId = await logRun('before the outage');
    await summaryOf(runId, 30_000);
  }, 120_000);

  it('while Kafka is away: ready, writes accepted, the backlog reported, /metrics at once; after, the events arrive', async () => {
    await kafka.stop();
    // Readiness notices (the bus ping fails) but stays 200, with the bus reported unreachable.
    const readiness: number[] = [];
    for (const service of [tracking, registry]) {
      await waitFor(
        async () => {
          const response = await fetch(`${service.url}/health/ready`);
          readiness.push(response.status);
          const body = (await response.json()) as { details: { event_bus: { reachable?: boolean } } };
          return body.details.event_bus.reachable === false ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250, message: 'readiness to report Kafka unreachable' },
      );
    }

    const runId = await logRun('during the outage');
    const backlog = await waitFor(
      async () => {
        const response = await fetch(`${tracking.url}/health/ready`);
        readiness.push(response.status);
        const body = (await response.json()) as { details: { outbox: { backlog_events: { tracking: number } } } };
        return body.details.outbox.backlog_events.tracking > 0 ? body.details.outbox.backlog_events.tracking : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 250, message: 'the outbox backlog in /health/ready' },
    );
    expect(backlog).toBeGreaterThan(0);
    expect(readiness.filter((status) => status !== 200)).toEqual([]);

    // /metrics answers quickly on every scrape (a Prometheus scrape times out at 10 s by default).
    for (const service of [tracking, registry]) {
      for (let scrape = 0; scrape < 3; scrape++) {
        const startedAt = Date.now();
        const response = await fetch(`${service.url}/metrics`);
        const text = await response.text();
        expect({ status: response.status, fast: Date.now() - startedAt < 2_500 }).toEqual({ status: 200, fast: true });
        if (service === tracking) expect(text).toMatch(/^cairn_outbox_backlog_events\{context="tracking",service="tracking-service"\} [1-9]\d*$/m);
      }
    }

    await kafka.start();
    const summary = await summaryOf(runId, 120_000);
    expect(summary).toMatchObject({ runId, name: 'during the outage', params: { phase: 'during the outage' } });
    await waitFor(
      async () => {
        const body = (await (await fetch(`${tracking.url}/health/ready`)).json()) as {
          details: { event_bus: { reachable?: boolean }; outbox: { backlog_events: { tracking: number } } };
        };
        return body.details.event_bus.reachable === undefined && body.details.outbox.backlog_events.tracking === 0 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, message: 'the bus reachable again and the outbox drained' },
    );
  }, 240_000);

  /** Creates an experiment and a run with a param, on tracking-service; every request must succeed. */
  async function logRun(name: string): Promise<string> {
    const post = async (route: string, body: unknown) => {
      const response = await fetch(`${tracking.url}/api/2.0/mlflow/${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect({ route, status: response.status }).toEqual({ route, status: 200 });
      return response.json() as Promise<Record<string, unknown>>;
    };
    const { experiment_id } = (await post('experiments/create', { name: `${name} ${randomBytes(3).toString('hex')}` })) as { experiment_id: string };
    const { run } = (await post('runs/create', { experiment_id, start_time: Date.now(), run_name: name })) as { run: { info: { run_id: string } } };
    await post('runs/log-batch', { run_id: run.info.run_id, params: [{ key: 'phase', value: name }] });
    return run.info.run_id;
  }

  /** The run as registry-service projected it from tracking's events, once its param arrived. */
  async function summaryOf(runId: string, timeoutMs: number): Promise<Record<string, unknown>> {
    return waitFor(
      async () => {
        const response = await fetch(`${registry.url}/api/2.0/cairn/registry/run-summaries/get?run_id=${runId}`);
        if (response.status !== 200) return undefined;
        const { run_summary } = (await response.json()) as { run_summary: { params: Record<string, unknown> } };
        return run_summary.params['phase'] ? run_summary : undefined;
      },
      { timeoutMs, message: `registry-service to apply the events of run ${runId}` },
    );
  }
});
