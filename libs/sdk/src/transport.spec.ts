import { CairnClient } from './client';
import { CairnApiError, CairnConnectionError } from './errors';
import { MetricBuffer } from './metric-buffer';
import { resolveTrackingUri, Transport } from './transport';

interface Call {
  method: string;
  url: string;
  body?: string;
}

/** A fake `fetch` answering from a script of responses (or thrown errors), recording each request. */
function fakeFetch(script: (call: Call, n: number) => Response | Error) {
  const calls: Call[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    const call = { method: init.method ?? 'GET', url, body: typeof init.body === 'string' ? init.body : undefined };
    calls.push(call);
    const answer = script(call, calls.length);
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { calls, fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const refused = () =>
  Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5000'), { code: 'ECONNREFUSED' }) });
const reset = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
const noSleep = { sleep: async () => undefined };

describe('tracking URI', () => {
  it('comes from the argument, else CAIRN_TRACKING_URI, else MLFLOW_TRACKING_URI, else a local server', () => {
    const env = { CAIRN_TRACKING_URI: 'http://cairn:5000/', MLFLOW_TRACKING_URI: 'http://mlflow:5000' };
    expect(resolveTrackingUri('http://arg:1', env)).toBe('http://arg:1');
    expect(resolveTrackingUri(undefined, env)).toBe('http://cairn:5000');
    expect(resolveTrackingUri(undefined, { MLFLOW_TRACKING_URI: 'http://mlflow:5000' })).toBe('http://mlflow:5000');
    expect(resolveTrackingUri(undefined, {})).toBe('http://127.0.0.1:5000');
    expect(() => resolveTrackingUri('file:///tmp/mlruns', {})).toThrow('http');
  });
});

describe('Transport', () => {
  it('retries a transient 503 and resends the very same log-batch body', async () => {
    const f = fakeFetch((_c, n) => (n < 3 ? json(503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' }) : json(200, {})));
    const client = new CairnClient({ trackingUri: 'http://x', fetch: f.fetch, ...noSleep });
    await client.logBatch('r1', { metrics: [{ key: 'm', value: 1, timestamp: 5, step: 0 }] });
    expect(f.calls).toHaveLength(3);
    expect(new Set(f.calls.map((c) => c.body)).size).toBe(1);
    expect(JSON.parse(f.calls[0]?.body ?? '')).toEqual({ run_id: 'r1', metrics: [{ key: 'm', value: 1, timestamp: 5, step: 0 }] });
  });

  it('buffered metrics behind a flaky server arrive complete: every point sent, in order, batches resent unchanged', async () => {
    const delivered: unknown[] = [];
    const f = fakeFetch((call, n) => {
      if (n % 3 === 1) return reset(); // every third request is lost mid-flight
      delivered.push(...(JSON.parse(call.body ?? '{}') as { metrics: unknown[] }).metrics);
      return json(200, {});
    });
    const client = new CairnClient({ trackingUri: 'http://x', fetch: f.fetch, ...noSleep });
    const buffer = new MetricBuffer({ send: (runId, metrics) => client.logBatch(runId, { metrics }) });
    for (let step = 0; step < 2500; step++) buffer.add('r1', { key: 'loss', value: 1 / (step + 1), timestamp: 1000 + step, step });
    await buffer.flush();
    expect(delivered.map((m) => (m as { step: number }).step)).toEqual([...Array(2500).keys()]);
    const bodies = f.calls.map((c) => c.body);
    expect(bodies[0]).toBe(bodies[1]); // the lost batch was resent as the same batch
  });

  it('does not retry a create after the connection dropped mid-request (it may have been applied)', async () => {
    const f = fakeFetch(() => reset());
    const client = new CairnClient({ trackingUri: 'http://x', fetch: f.fetch, ...noSleep });
    await expect(client.createRun({ experimentId: '0' })).rejects.toBeInstanceOf(CairnConnectionError);
    expect(f.calls).toHaveLength(1);
  });

  it('does not retry a create answered 500, but does when the connection was refused (never sent)', async () => {
    const f500 = fakeFetch(() => json(500, { error_code: 'INTERNAL_ERROR', message: 'boom' }));
    await expect(new CairnClient({ trackingUri: 'http://x', fetch: f500.fetch, ...noSleep }).createExperiment('e')).rejects.toMatchObject({
      httpStatus: 500,
      errorCode: 'INTERNAL_ERROR',
    });
    expect(f500.calls).toHaveLength(1);
    const fRefused = fakeFetch((_c, n) => (n === 1 ? refused() : json(200, { experiment_id: '7' })));
    await expect(new CairnClient({ trackingUri: 'http://x', fetch: fRefused.fetch, ...noSleep }).createExperiment('e')).resolves.toBe('7');
    expect(fRefused.calls).toHaveLength(2);
  });

  it('gives up after maxRetries and reports the server’s error code and status', async () => {
    const f = fakeFetch(() => json(503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'down for maintenance' }));
    const transport = new Transport({ trackingUri: 'http://x', fetch: f.fetch, retry: { maxRetries: 2 }, ...noSleep });
    await expect(transport.request('GET', '/api/2.0/mlflow/runs/get')).rejects.toMatchObject({
      errorCode: 'TEMPORARILY_UNAVAILABLE',
      httpStatus: 503,
      message: 'down for maintenance',
    });
    expect(f.calls).toHaveLength(3);
  });

  it('backs off exponentially and honours Retry-After', async () => {
    const waits: number[] = [];
    const f = fakeFetch((_c, n) => (n === 1 ? json(429, {}, { 'retry-after': '2' }) : n < 4 ? json(502, {}) : json(200, {})));
    const transport = new Transport({
      trackingUri: 'http://x',
      fetch: f.fetch,
      retry: { baseDelayMs: 100, maxDelayMs: 10_000 },
      sleep: async (ms) => void waits.push(ms),
    });
    jest.spyOn(Math, 'random').mockReturnValue(0.999);
    await transport.request('GET', '/x');
    jest.restoreAllMocks();
    expect(waits[0]).toBe(2000);
    expect(waits[1]).toBeCloseTo(199.8);
    expect(waits[2]).toBeCloseTo(399.6);
  });

  it('raises CairnApiError with MLflow’s error_code, message and HTTP status, without retrying a 4xx', async () => {
    const f = fakeFetch(() => json(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Run with id=abc not found' }));
    const client = new CairnClient({ trackingUri: 'http://x', fetch: f.fetch, ...noSleep });
    const error = (await client.getRun('abc').catch((e: unknown) => e)) as CairnApiError;
    expect(error).toBeInstanceOf(CairnApiError);
    expect({ code: error.errorCode, status: error.httpStatus, message: error.message }).toEqual({
      code: 'RESOURCE_DOES_NOT_EXIST',
      status: 404,
      message: 'Run with id=abc not found',
    });
    expect(f.calls).toHaveLength(1);
  });

  it('a plain-text 404 (no such endpoint) becomes ENDPOINT_NOT_FOUND, as in MLflow’s client', async () => {
    const f = fakeFetch(() => new Response('Not Found', { status: 404 }));
    await expect(new CairnClient({ trackingUri: 'http://x', fetch: f.fetch }).heartbeat('r')).rejects.toMatchObject({
      errorCode: 'ENDPOINT_NOT_FOUND',
      httpStatus: 404,
    });
  });

  it('encodes GET lists as repeated keys, the way MLflow’s client does', () => {
    const transport = new Transport({ trackingUri: 'http://x' });
    expect(transport.url('/p', { stages: ['Staging', 'Production'], name: 'a b', skip: undefined })).toBe(
      'http://x/p?stages=Staging&stages=Production&name=a+b',
    );
  });

  it('getExperimentByName answers undefined only for RESOURCE_DOES_NOT_EXIST', async () => {
    const missing = fakeFetch(() => json(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'nope' }));
    await expect(new CairnClient({ trackingUri: 'http://x', fetch: missing.fetch }).getExperimentByName('e')).resolves.toBeUndefined();
    const denied = fakeFetch(() => json(403, { error_code: 'PERMISSION_DENIED', message: 'no' }));
    await expect(new CairnClient({ trackingUri: 'http://x', fetch: denied.fetch }).getExperimentByName('e')).rejects.toMatchObject({
      errorCode: 'PERMISSION_DENIED',
    });
  });
});
