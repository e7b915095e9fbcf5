/**
 * Tokenizer for MLflow filter and order_by strings.
 *
 * MLflow runs these strings through `sqlparse`; the token rules below are the subset of
 * sqlparse's regexes (sqlparse/keywords.py) that MLflow's search grammar can use:
 * - `'…'` and `"…"` may contain a doubled quote or a backslash-escaped quote or backslash
 *   without ending; backticked names may contain a doubled backtick. The content is kept
 *   verbatim (MLflow strips the outer quotes and nothing else).
 * - numbers are `-?\d+`, `-?\d+.\d*`, `-?.\d+`, optionally with an exponent.
 * The scanner is linear-time: no regex backtracking on user input.
 */

export type TokenKind = 'word' | 'backtick' | 'double' | 'single' | 'number' | 'dot' | 'comparator' | 'lparen' | 'rparen' | 'comma' | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** Source text of the token, quotes included. */
  readonly text: string;
  /** Quoted tokens: the text between the quotes. Others: same as `text`. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

/** Called with a description of the problem and its position; must throw. */
export type LexFailure = (detail: string, position: number) => never;

const COMPARATORS = ['!=', '<>', '<=', '>=', '==', '=', '<', '>'] as const;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isWordStart = (c: string | undefined): boolean => c !== undefined && /[\p{L}_]/u.test(c);
const isWordPart = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}_]/u.test(c);
const isSpace = (c: string): boolean => /\s/u.test(c);

/**
 * Returns the index just past the closing quote of the quoted text starting at `start`, or
 * undefined if it is not closed. The character at `start` is the quote.
 */
export function scanQuoted(source: string, start: number): number | undefined {
  const quote = source[start];
  let i = start + 1;
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === quote) {
      if (next === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    if (c === '\\' && quote !== '`' && (next === quote || next === '\\')) {
      i += 2;
      continue;
    }
    i += 1;
  }
  return undefined;
}

/** Length of the number literal at `start`, or 0 if none starts there. */
function scanNumber(source: string, start: number): number {
  let i = start;
  if (source[i] === '-') i += 1;
  const digitsStart = i;
  while (isDigit(source[i])) i += 1;
  let sawDigits = i > digitsStart;
  if (source[i] === '.' && (sawDigits || isDigit(source[i + 1]))) {
    i += 1;
    while (isDigit(source[i])) {
      i += 1;
      sawDigits = true;
    }
  }
  if (!sawDigits) return 0;
  if (source[i] === 'e' || source[i] === 'E') {
    let j = i + 1;
    if (source[j] === '-' || source[j] === '+') j += 1;
    if (isDigit(source[j])) {
      while (isDigit(source[j])) j += 1;
      i = j;
    }
  }
  return i - start;
}

export function tokenize(source: string, fail: LexFailure): Token[] {
  // Postgres text cannot hold U+0000: binding one would fail in the database (a 500).
  const nul = source.indexOf('\u0000');
  if (nul >= 0) fail('the NUL character is not allowed', nul);
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number, value?: string): void => {
    const text = source.slice(start, end);
    tokens.push({ kind, text, value: value ?? text, start, end });
  };
  // A key segment right after a dot may start with a digit (`metrics.0_loss`): MLflow keys are
  // `[\w./ :-]+`, so only the characters that would otherwise break the identifier need quotes.
  const followsDot = (): boolean => {
    const last = tokens[tokens.length - 1];
    return last !== undefined && last.kind === 'dot' && last.end === i;
  };

  // Letters outside the BMP are two UTF-16 units: classify whole code points.
  const charAt = (at: number): string | undefined => {
    const code = source.codePointAt(at);
    return code === undefined ? undefined : String.fromCodePoint(code);
  };
  const skipWord = (): void => {
    for (let c = charAt(i); isWordPart(c); c = charAt(i)) i += (c as string).length;
  };

  while (i < source.length) {
    const c = charAt(i) as string;
    if (isSpace(c)) {
      i += 1;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"' || c === '`') {
      const end = scanQuoted(source, i);
      if (end === undefined) {
        const what = c === '`' ? 'backtick-quoted name' : 'string';
        fail(`unterminated ${what} (a quote preceded by a backslash or doubled does not end it)`, start);
      }
      const kind: TokenKind = c === "'" ? 'single' : c === '"' ? 'double' : 'backtick';
      push(kind, start, end, source.slice(start + 1, end - 1));
      i = end;
      continue;
    }
    if (followsDot() && isWordPart(c)) {
      skipWord();
      push('word', start, i);
      continue;
    }
    if (isDigit(c) || c === '-' || (c === '.' && isDigit(source[i + 1]) && !adjacentToName(tokens, i))) {
      const length = scanNumber(source, i);
      if (length > 0) {
        i += length;
        if (isWordPart(charAt(i)) || source[i] === '.') {
          fail(`malformed number '${source.slice(start, i + 1)}'`, start);
        }
        push('number', start, i);
        continue;
      }
    }
    if (isWordStart(c)) {
      skipWord();
      push('word', start, i);
      continue;
    }
    const single: Partial<Record<string, TokenKind>> = { '.': 'dot', '(': 'lparen', ')': 'rparen', ',': 'comma' };
    const kind = single[c];
    if (kind !== undefined) {
      i += 1;
      push(kind, start, i);
      continue;
    }
    const comparator = COMPARATORS.find((op) => source.startsWith(op, i));
    if (comparator !== undefined) {
      i += comparator.length;
      push('comparator', start, i);
      continue;
    }
    fail(`unexpected character '${c}'`, start);
  }
  tokens.push({ kind: 'end', text: '', value: '', start: source.length, end: source.length });
  return tokens;
}

/** A `.` glued to a preceding name is a separator (`metrics.5`), not the start of `.5`. */
function adjacentToName(tokens: readonly Token[], position: number): boolean {
  const last = tokens[tokens.length - 1];
  return last !== undefined && last.end === position && (last.kind === 'word' || last.kind === 'backtick' || last.kind === 'double');
}
