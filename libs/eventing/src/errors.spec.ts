import { ConcurrencyError, NonRetriableError, isRetriable } from './errors';

describe('isRetriable', () => {
  it('treats errors as transient unless they say otherwise', () => {
    expect(isRetriable(new Error('connection reset'))).toBe(true);
    expect(isRetriable('a string')).toBe(true);
    expect(isRetriable(new NonRetriableError('run does not exist'))).toBe(false);
    expect(isRetriable(Object.assign(new Error('bad data'), { retriable: false }))).toBe(false);
  });
});

describe('ConcurrencyError', () => {
  it('is a 409 RESOURCE_CONFLICT at the API edge', () => {
    const error = new ConcurrencyError('registry', ['churn-gbm'], 3);
    expect(error.httpStatus).toBe(409);
    expect(error.toJSON()).toEqual({ error_code: 'RESOURCE_CONFLICT', message: 'concurrent modification of registry churn-gbm; retry the request' });
  });
});
