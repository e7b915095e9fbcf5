import { fromQuery, parseRequest, withRunId } from '@cairn/contracts';
import * as s from './schemas';

const fails = (fn: () => unknown, message: RegExp) =>
  expect(fn).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(message) }));

describe('request parsing (MLflow handler semantics)', () => {
  it('accepts int64 as numbers or decimal strings and doubles as protobuf JSON', () => {
    const dto = parseRequest(s.logMetric, { run_id: 'r', key: 'k', value: 'NaN', timestamp: '1700000000000', step: '3' });
    expect(dto).toMatchObject({ timestamp: 1700000000000, step: 3 });
    expect(Number.isNaN(dto.value)).toBe(true);
    expect(parseRequest(s.logMetric, { run_id: 'r', key: 'k', value: '-Infinity', timestamp: 1 }).value).toBe(Number.NEGATIVE_INFINITY);
    expect(parseRequest(s.logMetric, { run_id: 'r', key: 'k', value: 0, timestamp: 0 }).step).toBe(0);
  });

  it('missing or empty required fields name the field', () => {
    fails(() => parseRequest(s.logMetric, { run_id: 'r', key: 'k', timestamp: 1 }), /Missing value for required parameter 'value'/);
    fails(() => parseRequest(s.logParam, { run_id: '', key: 'k' }), /Missing value for required parameter 'run_id'/);
    fails(
      () =>
        parseRequest(s.logBatch, {
          run_id: 'r',
          metrics: [
            { key: 'a', value: 1, timestamp: 1 },
            { key: 'b', timestamp: 1 },
          ],
        }),
      /'metrics\[1\]\.value'/,
    );
  });

  it('wrong JSON types are 400, never coerced', () => {
    fails(() => parseRequest(s.logMetric, { run_id: 'r', key: 'k', value: { x: 1 }, timestamp: 1 }), /parameter 'value'/);
    fails(() => parseRequest(s.logMetric, { run_id: 'r', key: 'k', value: 1, timestamp: 1.5 }), /parameter 'timestamp'/);
    fails(() => parseRequest(s.logParam, { run_id: 'r', key: 7, value: 'v' }), /parameter 'key'/);
    fails(() => parseRequest(s.logBatch, { run_id: 'r', metrics: {} }), /parameter 'metrics'/);
    fails(() => parseRequest(s.logBatch, []), /JSON object/);
  });

  it('takes JSON booleans as 1/0 metric values, as MLflow 3.x does', () => {
    expect(parseRequest(s.logMetric, { run_id: 'r', key: 'k', value: true, timestamp: 1 }).value).toBe(1);
  });

  it('experiment ids must be decimal (MLflow: "Experiment ID must be a valid integer")', () => {
    fails(() => parseRequest(s.experimentId, { experiment_id: 'abc' }), /valid integer/);
    expect(parseRequest(s.createRun, { experiment_id: '' }).experiment_id).toBeUndefined();
  });

  it('refuses NUL characters anywhere in a string', () => {
    fails(() => parseRequest(s.setTag, { run_id: 'r', key: 'k', value: 'a\u0000b' }), /NUL/);
  });

  it('accepts run_uuid for run_id, and enum names or numbers', () => {
    expect(parseRequest(s.updateRun, withRunId({ run_uuid: 'abc', status: 3 }))).toMatchObject({ run_id: 'abc', status: 'FINISHED' });
    expect(parseRequest(s.searchRuns, { run_view_type: 'ALL' }).run_view_type).toBe('ALL');
    expect(parseRequest(s.searchRuns, {}).run_view_type).toBe('ACTIVE_ONLY');
    fails(() => parseRequest(s.updateRun, { run_id: 'r', status: 'DONE' }), /parameter 'status'/);
  });

  it('GET query strings: scalars take the first value, list fields are always arrays, booleans True/False', () => {
    expect(fromQuery({ run_id: ['a', 'b'], run_ids: 'x' }, ['run_ids'])).toEqual({ run_id: 'a', run_ids: ['x'] });
    expect(parseRequest(s.getLoggedModel, fromQuery({ allow_deleted: 'True' })).allow_deleted).toBe(true);
    fails(() => parseRequest(s.getLoggedModel, fromQuery({ allow_deleted: 'yes' })), /boolean/);
    expect(parseRequest(s.experimentId, { experiment_id: 3 }).experiment_id).toBe('3');
  });
});
