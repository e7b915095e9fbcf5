import { migrationMarkers, splitStatements } from './sql-statements';

/**
 * The expand/contract rules of ADR 0011, checked over a migration's text: while a release's migration
 * runs, the previous release's pods keep serving, so a migration may only add to what they read.
 * Returns one sentence per refused statement (empty when the migration follows the rules).
 */
export function disciplineViolations(sql: string): string[] {
  const markers = migrationMarkers(sql);
  const statements = splitStatements(sql).map((statement) => statement.replace(/\s+/g, ' '));
  const createdTables = new Set(statements.flatMap((s) => match(s, /^CREATE (?:UNLOGGED )?TABLE (?:IF NOT EXISTS )?([\w."]+)/i)).map(objectName));
  const createdIndexes = new Set(statements.flatMap(createdIndexName));
  const problems: string[] = [];
  const refuse = (statement: string, why: string) => problems.push(`${why}: ${statement.length > 120 ? `${statement.slice(0, 117)}...` : statement}`);

  for (const [name, text] of markers) {
    if (name !== 'no-transaction' && name !== 'contract') refuse(`-- cairn:${name}`, 'unknown marker (cairn:no-transaction or cairn:contract)');
    if (name === 'contract' && !/\d+\.\d+\.\d+/.test(text)) {
      refuse(`-- cairn:contract ${text}`, 'a contract migration names the release since which nothing reads what it drops (e.g. "unread since 0.4.0")');
    }
  }
  const contract = markers.has('contract');

  for (const statement of statements) {
    const alteredTable = match(statement, /^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?([\w."]+)/i).map(objectName)[0];
    const onNewTable = alteredTable !== undefined && createdTables.has(alteredTable);

    for (const dropped of match(statement, /^DROP (INDEX|TABLE|SCHEMA|VIEW|MATERIALIZED VIEW|FUNCTION|TRIGGER|TYPE|SEQUENCE)\b/i)) {
      const rebuildsOwnIndex = /^index$/i.test(dropped) && droppedIndexNames(statement).every((index) => createdIndexes.has(index));
      if (!contract && !rebuildsOwnIndex) refuse(statement, `DROP ${dropped.toUpperCase()} outside a -- cairn:contract migration`);
    }
    if (/^DO\b/i.test(statement) && /\b(?:DROP|RENAME|ALTER)\b/i.test(statement) && !contract) {
      refuse(statement, 'DDL in a DO block is hidden from this check: write its statements out');
    }
    // ALTER TABLE … DROP [COLUMN] x (COLUMN is optional); DROP CONSTRAINT only relaxes what old pods write.
    if (
      alteredTable !== undefined &&
      /(?:^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?[\w."]+|,) DROP (?!CONSTRAINT\b)/i.test(statement) &&
      !contract &&
      !onNewTable
    ) {
      refuse(statement, 'DROP COLUMN outside a -- cairn:contract migration');
    }
    if (/\bALTER (?:COLUMN )?[\w"]+ (?:SET DATA )?TYPE\b/i.test(statement) && !onNewTable) {
      refuse(statement, 'changing a column type rewrites what the previous release reads (add a column, backfill, contract later)');
    }
    if (/\bRENAME\b/i.test(statement) && !onNewTable) {
      refuse(statement, 'a rename breaks the previous release (add the new name, copy, contract the old one later)');
    }
    if (/\bSET NOT NULL\b/i.test(statement) && !onNewTable) {
      refuse(statement, 'SET NOT NULL on an existing column fails the previous release’s inserts that omit it');
    }
    if (
      alteredTable !== undefined &&
      !onNewTable &&
      /\bADD (?!CONSTRAINT\b)(?:COLUMN )?(?:IF NOT EXISTS )?[\w"]+ [^,]*\bNOT NULL\b/i.test(statement) &&
      !/\bDEFAULT\b/i.test(statement)
    ) {
      refuse(statement, 'a NOT NULL column without a DEFAULT fails the previous release’s inserts');
    }
    const indexedTable = match(statement, /^CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?(?:[\w"]+ )?ON (?:ONLY )?([\w."]+)/i).map(
      objectName,
    )[0];
    if (indexedTable !== undefined && !/^CREATE (?:UNIQUE )?INDEX CONCURRENTLY\b/i.test(statement) && !createdTables.has(indexedTable)) {
      refuse(statement, 'CREATE INDEX on an existing table without CONCURRENTLY blocks its writes for the whole build');
    }
    if (/\bCONCURRENTLY\b/i.test(statement) && !markers.has('no-transaction')) {
      refuse(statement, 'CONCURRENTLY cannot run in a transaction: mark the migration -- cairn:no-transaction');
    }
  }
  // A no-transaction migration reruns from the top after a failure, and a failed concurrent build
  // leaves an INVALID index that IF NOT EXISTS would keep: drop it first.
  if (markers.has('no-transaction')) {
    const dropped = new Set(statements.flatMap(droppedIndexNames));
    for (const statement of statements) {
      const index = createdIndexName(statement)[0];
      if (index !== undefined && !dropped.has(index))
        refuse(statement, `a no-transaction migration reruns after a failure: DROP INDEX CONCURRENTLY IF EXISTS ${index} before building it`);
    }
  }
  return problems;
}

/** The first group of `pattern` in `statement`, as a list of zero or one. */
function match(statement: string, pattern: RegExp): string[] {
  const group = pattern.exec(statement)?.[1];
  return group === undefined ? [] : [group];
}

/** `"Tracking".Runs` → `tracking.runs`: enough to compare names as this project writes them. */
function objectName(written: string): string {
  return written.replace(/"/g, '').toLowerCase();
}

/** The schema-qualified name of the index a CREATE INDEX statement builds (it lives in its table's schema). */
function createdIndexName(statement: string): string[] {
  const [, index, table] = /^CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?([\w"]+) ON (?:ONLY )?([\w."]+)/i.exec(statement) ?? [];
  if (index === undefined || table === undefined) return [];
  const schema = table.includes('.') ? `${objectName(table.slice(0, table.lastIndexOf('.')))}.` : '';
  return [`${schema}${objectName(index)}`];
}

function droppedIndexNames(statement: string): string[] {
  const names = /^DROP INDEX (?:CONCURRENTLY )?(?:IF EXISTS )?(.+?)(?: CASCADE| RESTRICT)?$/i.exec(statement)?.[1];
  return names === undefined ? [] : names.split(',').map((name) => objectName(name.trim()));
}
