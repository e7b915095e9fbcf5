/**
 * MLflow parity (issue 20): one scenario — long values, names, prompts with the real 3.18 client,
 * and the routes MLflow's own web UI calls — run against a started Cairn and against the pinned
 * `mlflow server`, which must observe the same things. The scenario prints what it saw; the two
 * are compared whole, and a few observations are pinned so that "both broken alike" fails too.
 */
import path from 'node:path';
import { runMlflowClient, startMlflowServer, startServer, type StartedMlflowServer, type StartedServer } from '@cairn/testing';

const scenario = path.join(__dirname, '..', 'e2e', 'mlflow_parity_scenario.py');

async function observe(trackingUri: string): Promise<Record<string, unknown>> {
  const result = await runMlflowClient(3, scenario, [], { MLFLOW_TRACKING_URI: trackingUri });
  const line = result.stdout.split('\n').find((l) => l.startsWith('PARITY '));
  if (result.code !== 0 || line === undefined) throw new Error(`parity scenario failed against ${trackingUri}:\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(line.slice('PARITY '.length)) as Record<string, unknown>;
}

describe('MLflow 3.18 parity: the real client and the UI routes see Cairn as they see mlflow server', () => {
  let cairn: StartedServer;
  let reference: StartedMlflowServer;

  beforeAll(async () => {
    // Telemetry off: the answers Cairn mirrors are mlflow server's with that feature off.
    [cairn, reference] = await Promise.all([startServer(), startMlflowServer({ env: { MLFLOW_DISABLE_TELEMETRY: 'true' } })]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([cairn?.stop(), reference?.stop()]);
  }, 30_000);

  it('observes the same answers on both servers', async () => {
    const [onCairn, onMlflow] = await Promise.all([observe(cairn.url), observe(reference.url)]);
    expect(onCairn).toEqual(onMlflow);
    // Pinned MLflow behaviour (mlflow/utils/validation.py, handlers.py), so a regression on both fails.
    expect(onCairn).toMatchObject({
      'param over 6000': ['ok', null],
      'tag over 8000': ['ok', null],
      'another value for the long param': ['error', 'INVALID_PARAMETER_VALUE'],
      'stored lengths': [6000, 8000, 6000, 8000],
      'experiment tag of 20001': ['error', 'INVALID_PARAMETER_VALUE'],
      'model tag of 100000': ['ok', null],
      'version tag of 100001': ['error', 'INVALID_PARAMETER_VALUE'],
      'registered model name with /': ['error', 'INVALID_PARAMETER_VALUE'],
      'logged model name with .': ['error', 'INVALID_PARAMETER_VALUE'],
      register_prompt: ['ok', 1],
      'load_prompt by version': ['ok', 'Hello Ann!'],
      'load_prompt @latest': ['ok', 2],
      'a 50000-character prompt': ['ok', 3],
      'experiments IS NULL': [200, true],
      'artifacts/list?run_uuid': [200, [{ path: 'notes/a.txt', is_dir: false, file_size: 5 }]],
      'logged model file': [200, { a: 1 }],
      "logged-models/search attributes.model_id IN ('<id>', 'm-x')": [200, 1],
      '/ajax-api server-info': [200, expect.any(Object), true],
      'gateway-proxy': [200, { endpoints: [] }],
    });
  }, 600_000);
});
