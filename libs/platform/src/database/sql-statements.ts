/**
 * A migration file cut into its statements, each without comments. Enough of Postgres's lexer for
 * hand-written migrations: `--` and nested `/* *\/` comments, '…' strings (standard-conforming: no
 * backslash escapes), "…" identifiers and $tag$…$tag$ bodies (DO blocks, functions), so a `;` inside
 * any of them does not end a statement.
 */
export function splitStatements(sql: string): string[] {
  const dollarTag = /\$[A-Za-z_]*\$/y;
  const statements: string[] = [];
  let current = '';
  let i = 0;
  const push = () => {
    const statement = current.trim();
    if (statement !== '') statements.push(statement);
    current = '';
  };
  while (i < sql.length) {
    const char = sql[i] ?? '';
    dollarTag.lastIndex = i;
    const tag = dollarTag.exec(sql)?.[0];
    if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
      current += ' ';
    } else if (sql.startsWith('/*', i)) {
      let depth = 0;
      do {
        const step = sql.startsWith('/*', i) ? 1 : sql.startsWith('*/', i) ? -1 : 0;
        depth += step;
        i += step === 0 ? 1 : 2;
      } while (depth > 0 && i < sql.length);
      current += ' ';
    } else if (char === "'" || char === '"') {
      const end = closingQuote(sql, i, char);
      current += sql.slice(i, end);
      i = end;
    } else if (tag !== undefined) {
      const close = sql.indexOf(tag, i + tag.length);
      const end = close === -1 ? sql.length : close + tag.length;
      current += sql.slice(i, end);
      i = end;
    } else if (char === ';') {
      push();
      i++;
    } else {
      current += char;
      i++;
    }
  }
  push();
  return statements;
}

/** The index just past a quoted string or identifier opened at `start` (a doubled quote escapes itself). */
function closingQuote(sql: string, start: number, quote: string): number {
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] !== quote) continue;
    if (sql[i + 1] === quote) i++;
    else return i + 1;
  }
  return sql.length;
}

/**
 * `-- cairn:<name> [text]` lines of the comment block a migration opens with (the lines before its
 * first statement): e.g. `no-transaction`, or `contract` with the release that stopped reading.
 */
export function migrationMarkers(sql: string): Map<string, string> {
  const markers = new Map<string, string>();
  for (const line of sql.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (!trimmed.startsWith('--')) break;
    const [, name, text] = /^--\s*cairn:([a-z-]+)\s*(.*)$/.exec(trimmed) ?? [];
    if (name !== undefined) markers.set(name, (text ?? '').trim());
  }
  return markers;
}
