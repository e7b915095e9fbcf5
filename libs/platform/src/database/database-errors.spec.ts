import { DatabaseError } from 'pg';
import { asBusyError, CommitOutcomeUnknownError, Database, DatabaseBusyError, mayHaveCommitted } from './database';

describe('Postgres busy or away, as the client sees it', () => {
  it.each([
    ['refused (stopped)', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['shutting down (admin_shutdown)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['starting up (cannot_connect_now)', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['gone mid-transaction', new Error('Connection terminated unexpectedly')],
    ['no pooled connection in time', new Error('timeout exceeded when trying to connect')],
    ['a statement cancelled by statement_timeout', Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })],
    // Through Prisma (the identity and webhook stores): its own codes, or its pg adapter's error one level down.
    ["Prisma: can't reach the database", Object.assign(new Error("Can't reach database server"), { code: 'P1001' })],
    ['Prisma: the server closed the connection', Object.assign(new Error('Server has closed the connection.'), { code: 'P1017' })],
    [
      'Prisma: the adapter saw admin_shutdown',
      Object.assign(new Error('Error in PostgreSQL connection'), {
        code: 'P2010',
        meta: { driverAdapterError: { cause: { kind: 'postgres', originalCode: '57P01' } } },
      }),
    ],
    ['Prisma: the adapter saw a refused connection', Object.assign(new Error('DriverAdapterError'), { cause: { kind: 'DatabaseNotReachable' } })],
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
    const prismaUnique = Object.assign(new Error('Unique constraint failed'), {
      code: 'P2002',
      meta: { driverAdapterError: { cause: { kind: 'UniqueConstraintViolation' } } },
    });
    expect(asBusyError(prismaUnique)).toBe(prismaUnique);
  });
});

/**
 * A pooled connection stand-in: BEGIN and the work's statements succeed; the COMMIT round trip (a
 * pipelined batch) fails as `commitFails` says, or the work's statement fails as `queryFails` says.
 */
function databaseWhoseCommit(failure: { commitFails?: unknown; queryFails?: unknown }): Database {
  const database = new Database('postgres://nobody@127.0.0.1:1/none');
  const client = {
    on: () => client,
    off: () => client,
    release: () => undefined,
    query: (statement: unknown) => {
      if (typeof statement === 'object' && statement !== null && 'handleError' in statement) {
        // The pipelined COMMIT: the server answers, or the connection is gone.
        const submittable = statement as { handleError: (error: unknown) => void; handleCommandComplete: () => void; handleReadyForQuery: () => void };
        if (failure.commitFails !== undefined) submittable.handleError(failure.commitFails);
        else {
          submittable.handleCommandComplete();
          submittable.handleReadyForQuery();
        }
        return undefined;
      }
      if (statement === 'ROLLBACK') return Promise.reject(new Error('Client was closed and is not queryable'));
      if (statement !== 'BEGIN' && failure.queryFails !== undefined) return Promise.reject(failure.queryFails);
      return Promise.resolve({ rows: [], rowCount: 0 });
    },
  };
  (database.pool as unknown as { connect: () => Promise<unknown> }).connect = () => Promise.resolve(client);
  return database;
}

const serverError = (code: string, message: string) => Object.assign(new DatabaseError(message, 0, 'error'), { code });

describe('a COMMIT whose outcome the client cannot know', () => {
  const write = (database: Database) => database.transaction((uow) => uow.query('INSERT INTO t VALUES (1)'));

  it.each([
    ['the connection dropped (network, Postgres killed)', new Error('Connection terminated unexpectedly')],
    ['Postgres shutting down (admin_shutdown)', serverError('57P01', 'terminating connection due to administrator command')],
    ['the socket reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
  ])('%s during COMMIT: may have committed, still a 503', async (_what, error) => {
    const failed = await write(databaseWhoseCommit({ commitFails: error })).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(CommitOutcomeUnknownError);
    expect(mayHaveCommitted(failed)).toBe(true);
    expect((failed as DatabaseBusyError).httpStatus).toBe(503);
  });

  it('a SQL error answering the COMMIT round trip (a deferred constraint) did not commit', async () => {
    const unique = serverError('23505', 'duplicate key value violates unique constraint');
    const failed = await write(databaseWhoseCommit({ commitFails: unique })).catch((e: unknown) => e);
    expect(failed).toBe(unique);
    expect(mayHaveCommitted(failed)).toBe(false);
  });

  it('the connection dropping before COMMIT was sent did not commit: a 503 that certainly wrote nothing', async () => {
    const failed = await write(databaseWhoseCommit({ queryFails: new Error('Connection terminated unexpectedly') })).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(DatabaseBusyError);
    expect(mayHaveCommitted(failed)).toBe(false);
  });
});
