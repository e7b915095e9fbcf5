import { CommitOutcomeUnknownError, Database, DatabaseBusyError, mayHaveCommitted } from './database';
import { createScratchDatabase, type ScratchDatabase } from './scratch-database';

const adminUrl = () => {
  const url = process.env['CAIRN_TEST_DATABASE_URL'];
  if (!url) throw new Error('CAIRN_TEST_DATABASE_URL is not set: run through npm test');
  return url;
};

describe('Database: the unit of work', () => {
  let scratch: ScratchDatabase;
  let db: Database;
  const insert = (n: number) => ({ name: 'test.insert_item', text: 'INSERT INTO items (n) VALUES ($1)', values: [n] });
  const lockItem = (n: unknown) => ({
    name: 'test.lock_item',
    text: `SELECT id::int8 AS id, n, label, created, meta FROM items WHERE n = $1 FOR UPDATE`,
    values: [n],
  });
  const items = async () => (await db.query<{ n: number }>('SELECT n FROM items ORDER BY id')).rows.map((r) => r.n);

  beforeAll(async () => {
    scratch = await createScratchDatabase(adminUrl(), { migrated: false, prefix: 'cairn_test_tx' });
    // One connection: every transaction below reuses it, so the named statements are prepared after
    // their first use and later transactions take the pipelined paths.
    db = new Database(scratch.url, { max: 1 });
    await db.query(
      `CREATE TABLE items (id serial PRIMARY KEY, n int NOT NULL CHECK (n >= 0), label text, created timestamptz DEFAULT '2026-01-02T03:04:05Z', meta jsonb DEFAULT '{"a":[1]}')`,
    );
  });
  afterAll(async () => {
    await db.close();
    await scratch.drop();
  });
  beforeEach(async () => {
    await db.query('TRUNCATE items');
  });

  it('runs the statements queued for commit after the awaited ones, in the order queued, on the first use and once prepared', async () => {
    for (let round = 0; round < 3; round++) {
      await db.transaction(async (uow) => {
        uow.atCommit(insert(round * 10 + 2));
        uow.atCommit({ text: 'INSERT INTO items (n) VALUES ($1 + 1)', values: [round * 10 + 2] });
        await uow.query('INSERT INTO items (n) VALUES ($1)', [round * 10 + 1]);
      });
    }
    expect(await items()).toEqual([1, 2, 3, 11, 12, 13, 21, 22, 23]);
  });

  it('a failing queued statement rolls the whole transaction back and throws its error, mapped', async () => {
    await db.transaction(async (uow) => uow.atCommit(insert(1))); // prepared on the connection
    for (let round = 0; round < 2; round++) {
      const failing = db.transaction(async (uow) => {
        await uow.query('INSERT INTO items (n) VALUES (100)');
        uow.atCommit(insert(101));
        uow.atCommit({ ...insert(-1), mapError: (error) => new Error(`mapped: ${(error as { code?: string }).code}`) });
        uow.atCommit(insert(102));
      });
      await expect(failing).rejects.toThrow('mapped: 23514');
    }
    expect(await items()).toEqual([1]);
    // The connection is usable afterwards, inside and outside a transaction.
    await db.transaction(async (uow) => uow.atCommit(insert(7)));
    expect(await items()).toEqual([1, 7]);
  });

  it('a connection ended in the COMMIT round trip is a COMMIT of unknown outcome; one ended before it, a certain rollback', async () => {
    // The session ends itself in the batch sent with COMMIT, as a restart or a cut network would.
    const cutAtCommit = db.transaction(async (uow) => {
      await uow.query('INSERT INTO items (n) VALUES (1)');
      uow.atCommit({ text: 'SELECT pg_terminate_backend(pg_backend_pid())', values: [] });
    });
    const atCommit = await cutAtCommit.catch((error: unknown) => error);
    expect(atCommit).toBeInstanceOf(CommitOutcomeUnknownError);
    expect((atCommit as DatabaseBusyError).httpStatus).toBe(503);
    const beforeCommit = await db
      .transaction(async (uow) => {
        await uow.query('INSERT INTO items (n) VALUES (2)');
        await uow.query('SELECT pg_terminate_backend(pg_backend_pid())');
      })
      .catch((error: unknown) => error);
    expect(beforeCommit).toBeInstanceOf(DatabaseBusyError);
    expect(mayHaveCommitted(beforeCommit)).toBe(false);
    expect(await items()).toEqual([]);
  });

  it('a statement sent with BEGIN gives the work its rows, parsed as pg parses them, on the first use and once prepared', async () => {
    await db.query(`INSERT INTO items (n, label) VALUES (5, 'five'), (6, 'six')`);
    for (let round = 0; round < 3; round++) {
      const [row] = await db.transaction(async (_uow, begun) => begun, { begin: lockItem(5) });
      // int8 as a string, timestamptz as a Date, jsonb as an object: the client's own type parsers.
      expect(row).toEqual({ id: expect.any(String), n: 5, label: 'five', created: new Date('2026-01-02T03:04:05Z'), meta: { a: [1] } });
    }
    expect(await db.transaction(async (_uow, begun) => begun, { begin: lockItem(99) })).toEqual([]);
  });

  it('a value sent with BEGIN is a parameter, never SQL', async () => {
    await db.transaction(async (uow) => uow.query(lockItem(1))); // prepared
    const hostile = `1'; DROP TABLE items; --`;
    await expect(db.transaction(async (_uow, begun) => begun, { begin: lockItem(hostile) })).rejects.toThrow(/invalid input syntax for type integer/);
    expect(await items()).toEqual([]);
    await db.transaction(async (uow) => uow.atCommit(insert(3)));
    expect(await items()).toEqual([3]);
  });

  it('holds the BEGIN statement’s row lock for the whole unit of work', async () => {
    const two = new Database(scratch.url, { max: 2 });
    try {
      await two.query(`INSERT INTO items (n, label) VALUES (8, 'a')`);
      let firstDone = false;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const first = two.transaction(
        async (uow) => {
          await held;
          await uow.query(`UPDATE items SET label = 'first' WHERE n = 8`);
          firstDone = true;
        },
        { begin: lockItem(8) },
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = two.transaction(
        async (uow, begun) => {
          expect(firstDone).toBe(true);
          expect(begun[0]?.label).toBe('first');
          await uow.query(`UPDATE items SET label = 'second' WHERE n = 8`);
        },
        { begin: lockItem(8) },
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      release();
      await Promise.all([first, second]);
      expect((await two.query<{ label: string }>('SELECT label FROM items WHERE n = 8')).rows[0]?.label).toBe('second');
    } finally {
      await two.close();
    }
  });

  it('a search read is planned for its values, and its connection goes back to the pool still forcing generic plans', async () => {
    const mode = 'SELECT current_setting($1) AS mode';
    await db.transaction(async (uow) => uow.atCommit(insert(4)));
    // One connection (max 1): the read, the plain query after it and the unit of work share it.
    const search = await db.queryWithCustomPlan<{ mode: string; n: number }>(`SELECT current_setting($1) AS mode, n FROM items WHERE n = $2`, [
      'plan_cache_mode',
      4,
    ]);
    expect(search.rows).toEqual([{ mode: 'force_custom_plan', n: 4 }]);
    expect((await db.query<{ mode: string }>(mode, ['plan_cache_mode'])).rows[0]?.mode).toBe('force_generic_plan');
    await db.transaction(async (uow) => expect((await uow.query<{ mode: string }>(mode, ['plan_cache_mode'])).rows[0]?.mode).toBe('force_generic_plan'));
  });

  it('a failing search read leaves its connection usable', async () => {
    await expect(db.queryWithCustomPlan('SELECT 1 / $1::int', [0])).rejects.toThrow(/division by zero/);
    expect((await db.queryWithCustomPlan<{ one: number }>('SELECT $1::int AS one', [1])).rows).toEqual([{ one: 1 }]);
    expect((await db.query<{ mode: string }>('SELECT current_setting($1) AS mode', ['plan_cache_mode'])).rows[0]?.mode).toBe('force_generic_plan');
  });
});

describe('Database: bounded waits', () => {
  let scratch: ScratchDatabase;

  beforeAll(async () => {
    scratch = await createScratchDatabase(adminUrl(), { migrated: false, prefix: 'cairn_test_bounds' });
  });
  afterAll(async () => {
    await scratch.drop();
  });

  it('a unit of work that cannot get a connection is refused as busy within the acquisition timeout, and the pool recovers', async () => {
    const db = new Database(scratch.url, { max: 1, acquireTimeoutMs: 300 });
    try {
      let release!: () => void;
      const holder = db.transaction(() => new Promise<void>((resolve) => (release = resolve)));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = Date.now();
      const refused = await db.transaction(async () => 'ran').catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(DatabaseBusyError);
      expect((refused as DatabaseBusyError).code).toBe('TEMPORARILY_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(5_000);
      await expect(db.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseBusyError);
      release();
      await holder;
      expect(await db.transaction(async () => 'ran')).toBe('ran');
    } finally {
      await db.close();
    }
  });

  it('a statement running past the statement timeout is cancelled and reported as busy', async () => {
    const db = new Database(scratch.url, { max: 1, statementTimeoutMs: 200 });
    try {
      await expect(db.query('SELECT pg_sleep(5)')).rejects.toBeInstanceOf(DatabaseBusyError);
      await expect(db.transaction((uow) => uow.query('SELECT pg_sleep(5)'))).rejects.toBeInstanceOf(DatabaseBusyError);
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
    } finally {
      await db.close();
    }
  });

  it('a session left idle inside a transaction is ended by Postgres, and its connection is not reused', async () => {
    const db = new Database(scratch.url, { max: 1, idleInTransactionTimeoutMs: 200 });
    try {
      const stalled = db.transaction(async (uow) => {
        await uow.query('SELECT 1');
        await new Promise((resolve) => setTimeout(resolve, 800));
        await uow.query('SELECT 2');
      });
      await expect(stalled).rejects.toThrow();
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
    } finally {
      await db.close();
    }
  });
});
