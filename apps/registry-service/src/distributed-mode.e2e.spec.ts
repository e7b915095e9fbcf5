import { randomBytes } from 'node:crypto';
import { createTestDatabase, startServer, testEndpoints, waitFor, type StartedServer, type TestDatabase } from '@cairn/testing';

// Distributed mode, proven: the four service apps as separate OS processes, one Postgres, real
// Kafka, started together on topics nobody created yet (as a fresh install starts them). An event
// produced by tracking-service (run created, params, metrics, tags) is applied by registry-service
// to its own projection, which it serves over HTTP.
describe('tracking-service → Kafka → registry-service', () => {
  let database: TestDatabase;
  let tracking: StartedServer;
  let registry: StartedServer;
  let services: StartedServer[] = [];

  beforeAll(async () => {
    database = await createTestDatabase({ migrated: false });
    const env = {
      CAIRN_KAFKA_BROKERS: testEndpoints.kafkaBrokers(),
      // A topic namespace of its own, so earlier runs against the same broker are invisible here.
      CAIRN_KAFKA_TOPIC_PREFIX: `e2e-${randomBytes(4).toString('hex')}.`,
      CAIRN_RELAY_INTERVAL_MS: '100',
    };
    // Started together on one empty database: the migrator's advisory lock must serialize them, and
    // each waits until the topics it creates (all four, at once with the others) are served.
    services = await Promise.all(
      (['tracking-service', 'artifact-service', 'registry-service', 'webhook-dispatcher'] as const).map((app) =>
        startServer({ app, database, env, timeoutMs: 90_000 }),
      ),
    );
    [tracking, , registry] = services as [StartedServer, StartedServer, StartedServer, StartedServer];
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(services.map((service) => service.stop()));
    await database?.drop();
  }, 60_000);

  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${tracking.url}/api/2.0/mlflow/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect({ path, status: response.status }).toEqual({ path, status: 200 });
    return response.json() as Promise<Record<string, unknown>>;
  };

  it('all four report ready, each with its bus', async () => {
    for (const service of services) {
      const ready = await fetch(`${service.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ details: { database: { status: 'up' }, event_bus: { status: 'up' } } });
    }
  });

  it('a run logged on tracking-service shows up in registry-service, with its params, final metrics and commit', async () => {
    const { experiment_id } = (await post('experiments/create', { name: `distributed-${Date.now()}` })) as { experiment_id: string };
    const { run } = (await post('runs/create', { experiment_id, start_time: Date.now(), run_name: 'trial-1' })) as { run: { info: { run_id: string } } };
    const runId = run.info.run_id;
    await post('runs/log-batch', {
      run_id: runId,
      params: [{ key: 'learning_rate', value: '0.05' }],
      tags: [{ key: 'git_commit', value: '3f2c1ab' }],
      metrics: [
        { key: 'val_auc', value: 0.81, timestamp: 1, step: 0 },
        { key: 'val_auc', value: 0.87, timestamp: 2, step: 1 },
      ],
    });

    const summary = await waitFor(
      async () => {
        const response = await fetch(`${registry.url}/api/2.0/cairn/registry/run-summaries/get?run_id=${runId}`);
        if (response.status !== 200) return undefined;
        const body = (await response.json()) as {
          run_summary: { metrics: Record<string, unknown>; params: Record<string, unknown>; tags: Record<string, unknown> };
        };
        // Params, tags and metrics of one log-batch are separate events: wait for all three.
        const { metrics, params, tags } = body.run_summary;
        return metrics['val_auc'] && params['learning_rate'] && tags['git_commit'] ? body.run_summary : undefined;
      },
      { timeoutMs: 30_000, message: 'registry-service to apply the tracking events' },
    );
    expect(summary).toMatchObject({
      runId,
      experimentId: experiment_id,
      name: 'trial-1',
      params: { learning_rate: '0.05' },
      tags: { git_commit: '3f2c1ab' },
      metrics: { val_auc: { value: 0.87, step: 1 } },
    });
  }, 60_000);
});

// Only the all-in-one server may fall back to an embedded Postgres and the in-process bus: a service
// that did would keep its data in its pod and never hear the other services' events.
describe('a service process without CAIRN_DATABASE_URL', () => {
  it('refuses to start, exiting 2 with a message naming the variable (missing or empty)', async () => {
    await expect(startServer({ app: 'registry-service', embedded: true, timeoutMs: 30_000 })).rejects.toThrow(
      /exited with code 2 before listening:[\s\S]*CAIRN_DATABASE_URL: required by registry-service/,
    );
    const env = { CAIRN_DATABASE_URL: '', CAIRN_KAFKA_BROKERS: testEndpoints.kafkaBrokers() };
    const refused = startServer({ app: 'tracking-service', embedded: true, env, timeoutMs: 30_000 });
    await expect(refused).rejects.toThrow(/exited with code 2 before listening:[\s\S]*CAIRN_DATABASE_URL: required by tracking-service/);
    await expect(refused).rejects.not.toThrow(/CAIRN_KAFKA_BROKERS/);
  });
});
