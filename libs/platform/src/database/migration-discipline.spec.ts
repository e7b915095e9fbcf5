import path from 'node:path';
import { disciplineViolations } from './migration-discipline';
import { defaultMigrationsDirectory, readMigrations } from './migrator';
import { splitStatements } from './sql-statements';

// 0009–0012 predate the rule and are applied everywhere (ADR 0011 says what each broke); 0013 is the
// first migration written under it. Never lower this to check history: applied files cannot change.
const FIRST_CHECKED = 13;

describe('the expand/contract discipline (ADR 0011)', () => {
  const checked = readMigrations(defaultMigrationsDirectory()).filter((m) => Number.parseInt(path.basename(m.name), 10) >= FIRST_CHECKED);

  it('has checked-in migrations to check', () => {
    expect(checked.map((m) => m.name)).toContain('0013_identity');
  });

  it.each(checked.map((m) => [m.name, m.sql] as const))('%s only expands the schema', (_name, sql) => {
    expect(disciplineViolations(sql)).toEqual([]);
  });

  describe('refuses what the previous release would trip over', () => {
    it.each([
      ['DROP TABLE', 'DROP TABLE tracking.metrics;', /DROP TABLE outside a -- cairn:contract/],
      ['DROP COLUMN', 'ALTER TABLE tracking.runs DROP COLUMN version;', /DROP COLUMN outside/],
      ['DROP of a column without the COLUMN keyword', 'ALTER TABLE tracking.runs ADD COLUMN a int, DROP version;', /DROP COLUMN outside/],
      ['DROP INDEX of an existing index', 'DROP INDEX tracking.outbox_unsent;', /DROP INDEX outside/],
      [
        'DDL hidden in a DO block (0010’s shape)',
        "DO $$ BEGIN EXECUTE format('DROP INDEX %I.outbox_unsent', 'tracking'); END $$;",
        /DO block is hidden from this check/,
      ],
      ['ALTER COLUMN … TYPE', 'ALTER TABLE tracking.events ALTER COLUMN data TYPE json USING data::json;', /column type/],
      ['ALTER COLUMN … SET DATA TYPE', 'ALTER TABLE tracking.events ALTER data SET DATA TYPE json;', /column type/],
      ['RENAME COLUMN', 'ALTER TABLE tracking.runs RENAME COLUMN name TO run_name;', /rename/],
      ['RENAME of a table', 'ALTER TABLE tracking.runs RENAME TO runs_v2;', /rename/],
      ['SET NOT NULL on an existing column', 'ALTER TABLE tracking.runs ALTER COLUMN user_id SET NOT NULL;', /SET NOT NULL/],
      ['a NOT NULL column without a default', 'ALTER TABLE tracking.runs ADD COLUMN owner text NOT NULL;', /without a DEFAULT/],
      ['CREATE INDEX without CONCURRENTLY', 'CREATE INDEX inbox_processed_at ON tracking.inbox (processed_at);', /without CONCURRENTLY/],
      ['CREATE UNIQUE INDEX without CONCURRENTLY', 'CREATE UNIQUE INDEX IF NOT EXISTS u ON "tracking".inbox (a);', /without CONCURRENTLY/],
      ['CONCURRENTLY inside a transaction', 'CREATE INDEX CONCURRENTLY i ON tracking.inbox (a);', /mark the migration -- cairn:no-transaction/],
      [
        'a concurrent build that a rerun would keep INVALID',
        '-- cairn:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON tracking.inbox (a);',
        /DROP INDEX CONCURRENTLY IF EXISTS tracking.i before/,
      ],
      ['a contract that names no release', '-- cairn:contract nobody reads it any more\nDROP TABLE tracking.metrics;', /names the release/],
      ['a misspelt marker', '-- cairn:no-transactions\nCREATE TABLE t (id int);', /unknown marker/],
    ])('%s', (_case, sql, refusal) => {
      expect(disciplineViolations(sql)).toEqual([expect.stringMatching(refusal)]);
    });
  });

  describe('accepts what only adds', () => {
    it.each([
      ['tables, and indexes on tables created in the same migration', 'CREATE TABLE s.t (id int PRIMARY KEY, a text);\nCREATE INDEX t_a ON s.t (a);'],
      [
        'a nullable column, and a NOT NULL one with a default',
        'ALTER TABLE tracking.runs ADD COLUMN owner text, ADD COLUMN pinned boolean NOT NULL DEFAULT false;',
      ],
      [
        'changes to a table created in the same migration',
        'CREATE TABLE s.t (id int);\nALTER TABLE s.t ALTER COLUMN id SET NOT NULL;\nALTER TABLE s.t RENAME COLUMN id TO key;',
      ],
      [
        'a rerunnable concurrent build',
        '-- cairn:no-transaction\n-- why\nDROP INDEX CONCURRENTLY IF EXISTS tracking.i;\nCREATE INDEX CONCURRENTLY i ON tracking.inbox (a);',
      ],
      ['a contract naming its release', '-- cairn:contract tracking.metrics unread since 0.3.0\nDROP TABLE tracking.metrics;'],
      [
        'words in comments and strings',
        "-- we never DROP TABLE here\nCOMMENT ON TABLE s.t IS 'x';\nALTER TABLE s.t DROP CONSTRAINT c, ALTER COLUMN a DROP NOT NULL;",
      ],
    ])('%s', (_case, sql) => {
      expect(disciplineViolations(sql)).toEqual([]);
    });
  });
});

describe('splitStatements', () => {
  it('ends statements only at semicolons outside comments, strings, identifiers and dollar-quoted bodies', () => {
    const sql = `-- a; comment
CREATE TABLE "a;b" (x text DEFAULT 'it''s; fine'); /* block; /* nested; */ still */
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END $body$;
SELECT 1`;
    expect(splitStatements(sql)).toEqual([
      `CREATE TABLE "a;b" (x text DEFAULT 'it''s; fine')`,
      'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END $body$',
      'SELECT 1',
    ]);
  });
});
