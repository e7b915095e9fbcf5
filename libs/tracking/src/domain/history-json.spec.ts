import { endsBefore, lastPointOf, pointPrefix, renderChunk, type ChunkText } from './history-json';

const chunk = (over: Partial<ChunkText> = {}): ChunkText => ({
  chunkId: '3',
  minStep: '0',
  maxStep: '2',
  points: 3,
  lastTimestamp: '12',
  steps: '0,1,2',
  timestamps: '10,11,12',
  metricValues: '0.1,1e-07,-2.5',
  nanPositions: null,
  modelIds: null,
  datasetNames: null,
  datasetDigests: null,
  ...over,
});

const render = (c: ChunkText, key = 'loss') => {
  const out: string[] = [];
  renderChunk(pointPrefix(key), c, out);
  return JSON.parse(`[${out.join(',')}]`) as unknown[];
};

describe('full-history JSON from chunk text', () => {
  it('interleaves values, timestamps and steps as MLflow wire objects, digits untouched', () => {
    expect(render(chunk())).toEqual([
      { key: 'loss', value: 0.1, timestamp: 10, step: 0 },
      { key: 'loss', value: 1e-7, timestamp: 11, step: 1 },
      { key: 'loss', value: -2.5, timestamp: 12, step: 2 },
    ]);
  });

  it('spells NaN (stored as 0) and ±Infinity as strings, as protobuf JSON does', () => {
    const out = render(chunk({ metricValues: '0,Infinity,-Infinity', nanPositions: [1] }));
    expect(out.map((p) => (p as { value: unknown }).value)).toEqual(['NaN', 'Infinity', '-Infinity']);
  });

  it('adds dataset and model fields only to the points that have them, and escapes the key', () => {
    const out = render(chunk({ datasetNames: [null, 'train', null], datasetDigests: [null, 'd"1', null], modelIds: ['m-1', null, null] }), 'a"b');
    expect(out).toEqual([
      { key: 'a"b', value: 0.1, timestamp: 10, step: 0, model_id: 'm-1' },
      { key: 'a"b', value: 1e-7, timestamp: 11, step: 1, dataset_name: 'train', dataset_digest: 'd"1' },
      { key: 'a"b', value: -2.5, timestamp: 12, step: 2 },
    ]);
  });

  it('a chunk is sent before the next only when the next begins at a greater step, compared exactly', () => {
    expect(endsBefore(chunk({ maxStep: '2' }), chunk({ minStep: '3' }))).toBe(true);
    expect(endsBefore(chunk({ maxStep: '2' }), chunk({ minStep: '2' }))).toBe(false);
    // Beyond 2^53 doubles would call these equal.
    expect(endsBefore(chunk({ maxStep: '9007199254740993' }), chunk({ minStep: '9007199254740994' }))).toBe(true);
    expect(endsBefore(chunk({ maxStep: '9007199254740993' }), chunk({ minStep: '9007199254740993' }))).toBe(false);
  });

  it('the cursor after a chunk is its last point: max step, last timestamp, id = chunk_id * 1024 + index', () => {
    expect(lastPointOf(chunk())).toEqual({ step: 2, timestamp: 12, id: 3 * 1024 + 2 });
  });
});
