import { CairnClient } from './client';
import { ActiveRun } from './fluent';
import type { RunInfo } from './wire';

const info: RunInfo = {
  run_id: 'a'.repeat(32),
  run_uuid: 'a'.repeat(32),
  run_name: 'quiet-owl-1',
  experiment_id: '0',
  user_id: 'ada',
  status: 'RUNNING',
  start_time: 1,
  artifact_uri: 'mlflow-artifacts:/0/a/artifacts',
  lifecycle_stage: 'active',
};

function clientAnswering(answer: (path: string) => Response) {
  const paths: string[] = [];
  const client = new CairnClient({
    trackingUri: 'http://x',
    retry: { maxRetries: 0 },
    fetch: async (url) => {
      const path = new URL(url).pathname;
      paths.push(path);
      return answer(path);
    },
  });
  return { client, paths };
}

const ok = (body: unknown) => new Response(JSON.stringify(body), { status: 200 });
const heartbeats = (paths: string[]) => paths.filter((p) => p === '/api/2.0/cairn/runs/heartbeat').length;

describe('run heartbeats', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('beat every 30 s while the run is open, and stop when it ends', async () => {
    const { client, paths } = clientAnswering((p) =>
      p.endsWith('/runs/update') ? ok({ run_info: { ...info, status: 'FINISHED' } }) : ok({ run_status: 'RUNNING' }),
    );
    const run = new ActiveRun(client, info, undefined, 30_000);
    await jest.advanceTimersByTimeAsync(29_999);
    expect(heartbeats(paths)).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(heartbeats(paths)).toBe(1);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(heartbeats(paths)).toBe(3);
    await run.end();
    await jest.advanceTimersByTimeAsync(120_000);
    expect(heartbeats(paths)).toBe(3);
  });

  it('stop for good against a server without the endpoint (plain MLflow answers 404)', async () => {
    const { client, paths } = clientAnswering(() => new Response('<!doctype html><title>404 Not Found</title>', { status: 404 }));
    new ActiveRun(client, info, undefined, 30_000);
    await jest.advanceTimersByTimeAsync(30_000);
    await jest.advanceTimersByTimeAsync(300_000);
    expect(heartbeats(paths)).toBe(1);
  });

  it('keep going after a transient failure', async () => {
    let n = 0;
    const { client, paths } = clientAnswering(() => (++n === 1 ? new Response('{}', { status: 503 }) : ok({ run_status: 'RUNNING' })));
    const run = new ActiveRun(client, info, undefined, 30_000);
    await jest.advanceTimersByTimeAsync(90_000);
    expect(heartbeats(paths)).toBe(3);
    await run.end();
  });
});
