import { Database, deferUntilCommit } from './database';
import { createScratchDatabase, type ScratchDatabase } from './scratch-database';

const adminUrl = () => {
  const url = process.env['CAIRN_TEST_DATABASE_URL'];
  if (!url) throw new Error('CAIRN_TEST_DATABASE_URL is not set: run through npm test');
  return url;
};

describe('Database.transaction with statements deferred until commit', () => {
  let scratch: ScratchDatabase;
  let db: Database;
  const insert = (n: number) => ({ name: 'test.insert_item', text: 'INSERT INTO items (n) VALUES ($1)', values: [n] });
  const items = async () => (await db.query<{ n: number }>('SELECT n FROM items ORDER BY id')).rows.map((r) => r.n);

  beforeAll(async () => {
    scratch = await createScratchDatabase(adminUrl(), { migrated: false, prefix: 'cairn_test_tx' });
    // One connection: every transaction below reuses it, so the named statement is prepared after
    // the first and later commits take the pipelined path.
    db = new Database(scratch.url, { max: 1 });
    await db.query('CREATE TABLE items (id serial PRIMARY KEY, n int NOT NULL CHECK (n >= 0))');
  });
  afterAll(async () => {
    await db.close();
    await scratch.drop();
  });
  beforeEach(async () => {
    await db.query('TRUNCATE items');
  });

  it('runs the deferred statements after the awaited ones, in the order queued, on the first use and once prepared', async () => {
    for (let round = 0; round < 3; round++) {
      await db.transaction(async (tx) => {
        deferUntilCommit(tx, insert(round * 10 + 2));
        deferUntilCommit(tx, { text: 'INSERT INTO items (n) VALUES ($1 + 1)', values: [round * 10 + 2] });
        await tx.query('INSERT INTO items (n) VALUES ($1)', [round * 10 + 1]);
      });
    }
    expect(await items()).toEqual([1, 2, 3, 11, 12, 13, 21, 22, 23]);
  });

  it('a failing deferred statement rolls the whole transaction back and throws its error, mapped', async () => {
    await db.transaction(async (tx) => deferUntilCommit(tx, insert(1))); // prepared on the connection
    for (let round = 0; round < 2; round++) {
      const failing = db.transaction(async (tx) => {
        await tx.query('INSERT INTO items (n) VALUES (100)');
        deferUntilCommit(tx, insert(101));
        deferUntilCommit(tx, { ...insert(-1), mapError: (error) => new Error(`mapped: ${(error as { code?: string }).code}`) });
        deferUntilCommit(tx, insert(102));
      });
      await expect(failing).rejects.toThrow('mapped: 23514');
    }
    expect(await items()).toEqual([1]);
    // The connection is usable afterwards, inside and outside a transaction.
    await db.transaction(async (tx) => deferUntilCommit(tx, insert(7)));
    expect(await items()).toEqual([1, 7]);
  });

  it('refuses to queue on a connection that is not in Database.transaction', async () => {
    const client = await db.pool.connect();
    try {
      expect(() => deferUntilCommit(client, insert(1))).toThrow(/Database.transaction/);
    } finally {
      client.release();
    }
  });
});
