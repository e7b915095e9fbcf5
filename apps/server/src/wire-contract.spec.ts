import { modelVersionJson } from '@cairn/registry';
import { CairnClient, type ModelVersion, type Run } from '@cairn/sdk';
import { runJson, type RunView } from '@cairn/tracking';

/**
 * What the server sends is what the SDK reads: one Run and one ModelVersion from the server's
 * mappers, through JSON, into the SDK's client. Both sides are typed against `@cairn/contracts`,
 * so the assignments below fail to compile when they drift apart; the JSON texts pin the wire
 * format (field names, order, omissions) the real MLflow clients are tested against end to end.
 */

const view: RunView = {
  runId: 'a'.repeat(32),
  experimentId: '7',
  name: 'gbm-lr0.05',
  userId: 'ada',
  status: 'RUNNING',
  startTime: 1700000000000,
  endTime: null,
  lifecycleStage: 'active',
  artifactUri: 'mlflow-artifacts:/7/aaaa/artifacts',
  metrics: [
    { key: 'loss', value: Number.NaN, timestamp: 1700000000001, step: 3 },
    { key: 'auc', value: Number.POSITIVE_INFINITY, timestamp: 1700000000002, step: 0, datasetName: 'train', datasetDigest: 'd1' },
  ],
  params: [{ key: 'lr', value: '0.05' }],
  tags: [],
  datasetInputs: [
    {
      name: 'train',
      digest: 'd1',
      sourceType: 'local',
      source: '{}',
      schema: null,
      profile: '{"rows":3}',
      tags: [{ key: 'mlflow.data.context', value: 'training' }],
    },
  ],
  modelInputs: ['m-' + 'b'.repeat(32)],
  modelOutputs: [],
};

const version = {
  modelId: 'rm-1',
  name: 'churn',
  version: '3',
  creationTimestamp: 1700000000000,
  lastUpdatedTimestamp: 1700000000500,
  userId: null,
  currentStage: 'Staging' as const,
  description: null,
  source: 'mlflow-artifacts:/7/aaaa/artifacts/model',
  runId: 'a'.repeat(32),
  runLink: null,
  loggedModelId: null,
  status: 'READY',
  tags: [{ key: 'team', value: 'risk' }],
  aliases: ['champion'],
};

function sdkReading(body: unknown): CairnClient {
  return new CairnClient({ trackingUri: 'http://cairn', retry: { maxRetries: 0 }, fetch: async () => new Response(JSON.stringify(body), { status: 200 }) });
}

describe('server wire output → JSON → SDK', () => {
  it('a Run: NaN/Infinity as strings, end_time absent while running, empty lists omitted', async () => {
    const sent: Run = runJson(view);
    expect(JSON.stringify(sent)).toBe(
      '{"info":{"run_id":"' +
        view.runId +
        '","run_uuid":"' +
        view.runId +
        '","run_name":"gbm-lr0.05","experiment_id":"7","user_id":"ada",' +
        '"status":"RUNNING","start_time":1700000000000,"artifact_uri":"mlflow-artifacts:/7/aaaa/artifacts","lifecycle_stage":"active"},' +
        '"data":{"metrics":[{"key":"loss","value":"NaN","timestamp":1700000000001,"step":3},' +
        '{"key":"auc","value":"Infinity","timestamp":1700000000002,"step":0,"dataset_name":"train","dataset_digest":"d1"}],' +
        '"params":[{"key":"lr","value":"0.05"}]},' +
        '"inputs":{"dataset_inputs":[{"dataset":{"name":"train","digest":"d1","source_type":"local","source":"{}","profile":"{\\"rows\\":3}"},' +
        '"tags":[{"key":"mlflow.data.context","value":"training"}]}],"model_inputs":[{"model_id":"m-' +
        'b'.repeat(32) +
        '"}]},"outputs":{}}',
    );

    const read = await sdkReading({ run: sent }).getRun(view.runId);
    expect(read).toEqual(sent);
    expect(read.info.end_time).toBeUndefined();
    expect(read.data.metrics?.map((m) => m.value)).toEqual(['NaN', 'Infinity']);
    expect(read.data.tags).toBeUndefined();
  });

  it('a ModelVersion: unset optional fields omitted, never null', async () => {
    const sent: ModelVersion = modelVersionJson(version);
    expect(JSON.stringify(sent)).toBe(
      '{"name":"churn","version":"3","creation_timestamp":1700000000000,"last_updated_timestamp":1700000000500,"current_stage":"Staging",' +
        '"source":"mlflow-artifacts:/7/aaaa/artifacts/model","run_id":"' +
        version.runId +
        '","status":"READY",' +
        '"tags":[{"key":"team","value":"risk"}],"aliases":["champion"]}',
    );

    const read = await sdkReading({ model_version: sent }).getModelVersion('churn', 3);
    expect(read).toEqual(sent);
    expect(read).not.toHaveProperty('description');
    expect(read.aliases).toEqual(['champion']);
  });
});
