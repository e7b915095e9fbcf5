import { isLoggedModelId, isRunId, loggedModelIdOfUri, snakeCase } from './ids';

describe('MLflow wire ids', () => {
  it('takes only the ids MLflow mints', () => {
    expect(isRunId('0123456789abcdef0123456789abcdef')).toBe(true);
    expect(isRunId('0123456789ABCDEF0123456789abcdef')).toBe(false);
    expect(isRunId('../0123456789abcdef0123456789abc')).toBe(false);
    expect(isLoggedModelId('m-0123456789abcdef0123456789abcdef')).toBe(true);
    expect(isLoggedModelId('m-0123456789abcdef0123456789abcdef\u0000')).toBe(false);
    expect(isLoggedModelId('0123456789abcdef0123456789abcdef')).toBe(false);
  });

  it("reads a logged model's id from its models:/ URI, and nothing else", () => {
    expect(loggedModelIdOfUri('models:/m-0123456789abcdef0123456789abcdef')).toBe('m-0123456789abcdef0123456789abcdef');
    expect(loggedModelIdOfUri('models:/m-0123456789abcdef0123456789abcdef/')).toBe('m-0123456789abcdef0123456789abcdef');
    expect(loggedModelIdOfUri('models:/churn/1')).toBeNull();
    expect(loggedModelIdOfUri('models:/m-0123456789abcdef0123456789abcdef/../x')).toBeNull();
  });

  it('names camelCase fields as protobuf JSON does', () => {
    expect(snakeCase('lastUpdateTime')).toBe('last_update_time');
    expect(snakeCase('value')).toBe('value');
  });
});
