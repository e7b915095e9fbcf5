import fc from 'fast-check';
import { parseRequest } from '@cairn/contracts';
import { logBatch, parseLogBatch } from './schemas';

/** The schema's answer: its output, or the error it words. */
const outcome = (parse: () => unknown) => {
  try {
    return { ok: parse() };
  } catch (error) {
    return { error: (error as Error).message };
  }
};

describe('parseLogBatch', () => {
  const field = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.constant(''),
    fc.constant('a\u0000b'),
    fc.constant('NaN'),
    fc.constant('12'),
    fc.constant(true),
    fc.integer({ min: -3, max: 3 }),
    fc.constant(2 ** 60),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 3 }),
  );
  const metric = fc.oneof(
    fc.record(
      {
        key: fc.constantFrom('loss', 'acc'),
        value: fc.double({ noNaN: true, noDefaultInfinity: true }),
        timestamp: fc.nat(),
        step: fc.option(fc.integer(), { nil: undefined }),
      },
      { requiredKeys: ['key', 'value', 'timestamp'] },
    ),
    fc.record(
      { key: field, value: field, timestamp: field, step: field, model_id: field, dataset_name: field, dataset_digest: field, extra: field },
      { requiredKeys: [] },
    ),
    fc.constant(null),
    fc.constant([1]),
  );

  it('answers exactly as the zod schema does, for plain and odd points alike', () => {
    fc.assert(
      fc.property(
        fc.record(
          { run_id: fc.constantFrom('r1', '', undefined), metrics: fc.oneof(fc.array(metric, { maxLength: 4 }), fc.constant('x')), params: fc.constant([]) },
          { requiredKeys: [] },
        ),
        (input) => {
          expect(outcome(() => parseLogBatch(input))).toEqual(outcome(() => parseRequest(logBatch, input)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('takes the plain shape clients send without changing it', () => {
    const input = {
      run_id: 'r',
      metrics: [
        { key: 'loss', value: 0.5, timestamp: 10, step: 3, model_id: 'm-1', unknown: 1 },
        { key: 'acc', value: 1, timestamp: 11 },
      ],
    };
    expect(parseLogBatch(input)).toEqual({
      run_id: 'r',
      metrics: [
        { key: 'loss', value: 0.5, timestamp: 10, step: 3, model_id: 'm-1' },
        { key: 'acc', value: 1, timestamp: 11, step: 0 },
      ],
      params: [],
      tags: [],
    });
  });
});
