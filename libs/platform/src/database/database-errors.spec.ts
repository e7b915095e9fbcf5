import { asBusyError, DatabaseBusyError } from './database';

describe('Postgres busy or away, as the client sees it', () => {
  it.each([
    ['refused (stopped)', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['shutting down (admin_shutdown)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['starting up (cannot_connect_now)', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['gone mid-transaction', new Error('Connection terminated unexpectedly')],
    ['no pooled connection in time', new Error('timeout exceeded when trying to connect')],
    ['a statement cancelled by statement_timeout', Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })],
  ])('%s: 503 TEMPORARILY_UNAVAILABLE, which MLflow clients retry', (_what, error) => {
    const mapped = asBusyError(error);
    expect(mapped).toBeInstanceOf(DatabaseBusyError);
    expect((mapped as DatabaseBusyError).httpStatus).toBe(503);
    expect((mapped as DatabaseBusyError).toJSON()).toMatchObject({ error_code: 'TEMPORARILY_UNAVAILABLE' });
  });

  it('leaves a constraint violation or a bug alone', () => {
    const unique = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
    expect(asBusyError(unique)).toBe(unique);
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
    expect(asBusyError(bug)).toBe(bug);
  });
});
