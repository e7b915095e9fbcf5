import {
  isPresenceComparator,
  type Comparator,
  type ComparisonNode,
  type FilterNode,
  type IdentifierNode,
  type NameQuote,
  type StringLiteral,
  type ValueNode,
} from './ast';
import { filterError } from './errors';
import { tokenize, type LexFailure, type Token } from './lexer';

/**
 * Recursive-descent parser for MLflow filter strings (`SearchUtils.parse_search_filter`):
 *
 *   filter      := ε | comparison (AND comparison)*
 *   comparison  := identifier comparator value | identifier IS [NOT] NULL
 *   identifier  := name ('.' name)*          -- split at the first dot: prefix.key
 *   comparator  := = | != | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
 *   value       := 'string' | "string" | number | '(' string (',' string)* ')'
 *
 * Keywords are case-insensitive. OR, NOT (other than NOT IN and IS NOT NULL) and grouping
 * parentheses are rejected, as MLflow rejects them ("Invalid clause(s) in filter string").
 * Which keys accept IS [NOT] NULL is the entity's business (resolveFilter).
 */
export function parseFilter(source: string): FilterNode {
  const fail: LexFailure = (detail, position) => {
    throw filterError(`Invalid clause(s) in filter string: ${detail}`, position);
  };
  const cursor = new TokenCursor(tokenize(source, fail), fail);
  const comparisons: ComparisonNode[] = [];
  if (cursor.peek().kind === 'end') return { comparisons };

  for (;;) {
    comparisons.push(parseComparison(cursor));
    const next = cursor.peek();
    if (next.kind === 'end') return { comparisons };
    if (isKeyword(next, 'AND')) {
      cursor.next();
      if (cursor.peek().kind === 'end') fail('expected a comparison after AND, found the end of the filter', next.start);
      continue;
    }
    if (isKeyword(next, 'OR')) {
      fail("'OR' is not supported, comparisons can only be joined with AND", next.start);
    }
    fail(`expected AND or the end of the filter, found ${describe(next)}`, next.start);
  }
}

export class TokenCursor {
  private index = 0;

  constructor(
    private readonly tokens: readonly Token[],
    readonly fail: LexFailure,
  ) {}

  peek(): Token {
    return this.tokens[this.index] ?? (this.tokens[this.tokens.length - 1] as Token);
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index += 1;
    return token;
  }
}

export function isKeyword(token: Token, keyword: string): boolean {
  return token.kind === 'word' && token.value.toUpperCase() === keyword;
}

const RESERVED = new Set(['AND', 'OR', 'NOT', 'IN', 'LIKE', 'ILIKE', 'IS', 'NULL', 'ASC', 'DESC']);

export function describe(token: Token): string {
  if (token.kind === 'end') return 'the end of the string';
  const text = token.text.length > 40 ? `${token.text.slice(0, 40)}…` : token.text;
  return `'${text}'`;
}

const NAME_QUOTE: Partial<Record<Token['kind'], NameQuote>> = {
  word: 'bare',
  backtick: 'backtick',
  double: 'double',
};

/** Reads `prefix.key`, `` prefix.`quoted key` ``, `bare_attribute` or `tags.mlflow.runName`. */
export function parseIdentifier(cursor: TokenCursor): IdentifierNode {
  const first = cursor.peek();
  const firstQuote = NAME_QUOTE[first.kind];
  if (firstQuote === undefined || (first.kind === 'word' && RESERVED.has(first.value.toUpperCase()))) {
    if (first.kind === 'lparen') cursor.fail('parentheses cannot be used for grouping', first.start);
    cursor.fail(`expected an identifier such as metrics.<key>, params.<key>, tags.<key> or an attribute name, found ${describe(first)}`, first.start);
  }
  cursor.next();
  const parts: Array<{ token: Token; quote: NameQuote }> = [{ token: first, quote: firstQuote }];
  let previous = first;
  while (cursor.peek().kind === 'dot') {
    const dot = cursor.next();
    const part = cursor.peek();
    const quote = NAME_QUOTE[part.kind];
    if (dot.start !== previous.end || quote === undefined || part.start !== dot.end) {
      cursor.fail(`expected a name directly after '${previous.text}.' (no spaces around '.')`, dot.start);
    }
    cursor.next();
    parts.push({ token: part, quote });
    previous = part;
  }

  const [head, ...rest] = parts as [{ token: Token; quote: NameQuote }, ...Array<{ token: Token; quote: NameQuote }>];
  if (rest.length === 0) {
    return { prefix: null, key: head.token.value, keyQuote: head.quote, position: first.start };
  }
  const prefix = { name: head.token.value, quote: head.quote };
  if (rest.length === 1) {
    const only = rest[0] as { token: Token; quote: NameQuote };
    return { prefix, key: only.token.value, keyQuote: only.quote, position: first.start };
  }
  const quotedPart = rest.find((part) => part.quote !== 'bare');
  if (quotedPart !== undefined) {
    cursor.fail('a quoted key must be the whole key after the first dot, e.g. tags.`mlflow.runName`', quotedPart.token.start);
  }
  return {
    prefix,
    key: rest.map((part) => part.token.value).join('.'),
    keyQuote: 'bare',
    position: first.start,
  };
}

function parseComparison(cursor: TokenCursor): ComparisonNode {
  const identifier = parseIdentifier(cursor);
  const { comparator, position } = parseComparator(cursor, identifier);
  if (isPresenceComparator(comparator)) return { identifier, comparator, comparatorPosition: position, value: { type: 'none', position } };
  const value = comparator === 'IN' || comparator === 'NOT IN' ? parseList(cursor) : parseScalar(cursor, comparator);
  return { identifier, comparator, comparatorPosition: position, value };
}

const SYMBOL_COMPARATORS: Partial<Record<string, Comparator>> = {
  '=': '=',
  '!=': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

function parseComparator(cursor: TokenCursor, identifier: IdentifierNode): { comparator: Comparator; position: number } {
  const token = cursor.next();
  const position = token.start;
  if (token.kind === 'comparator') {
    const comparator = SYMBOL_COMPARATORS[token.value];
    if (comparator === undefined) {
      cursor.fail(`unsupported comparator '${token.value}' (use '=' or '!=')`, position);
    }
    return { comparator, position };
  }
  if (isKeyword(token, 'LIKE')) return { comparator: 'LIKE', position };
  if (isKeyword(token, 'ILIKE')) return { comparator: 'ILIKE', position };
  if (isKeyword(token, 'IN')) return { comparator: 'IN', position };
  if (isKeyword(token, 'NOT')) {
    const following = cursor.next();
    if (isKeyword(following, 'IN')) return { comparator: 'NOT IN', position };
    cursor.fail(`expected IN after NOT (only NOT IN is supported), found ${describe(following)}`, following.start);
  }
  if (isKeyword(token, 'IS')) {
    // `_join_in_comparison_tokens`: `IS NULL` and `IS NOT NULL` are the only IS forms.
    const following = cursor.next();
    if (isKeyword(following, 'NULL')) return { comparator: 'IS NULL', position };
    if (isKeyword(following, 'NOT') && isKeyword(cursor.next(), 'NULL')) return { comparator: 'IS NOT NULL', position };
    cursor.fail('expected NULL or NOT NULL after IS', following.start);
  }
  cursor.fail(
    `expected a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN) after ${identifierText(identifier)}, found ${describe(token)}`,
    position,
  );
}

function identifierText(identifier: IdentifierNode): string {
  return identifier.prefix === null ? `'${identifier.key}'` : `'${identifier.prefix.name}.${identifier.key}'`;
}

function parseScalar(cursor: TokenCursor, comparator: Comparator): ValueNode {
  const token = cursor.next();
  switch (token.kind) {
    case 'single':
    case 'double':
      return stringLiteral(token);
    case 'number':
      return { type: 'number', text: token.text, position: token.start };
    case 'lparen':
      return cursor.fail(`a parenthesized list of values can only follow IN or NOT IN, not '${comparator}'`, token.start);
    case 'word':
    case 'backtick':
      // MLflow's wording for an unquoted string value (`SearchUtils._strip_quotes`).
      return cursor.fail(
        `Parameter value is either not quoted or unidentified quote types used for string value ${token.text}. Use either single or double quotes`,
        token.start,
      );
    case 'comma':
    case 'comparator':
    case 'dot':
    case 'rparen':
    case 'end':
      return cursor.fail(`expected a quoted string or a number after '${comparator}', found ${describe(token)}`, token.start);
  }
}

function stringLiteral(token: Token): StringLiteral {
  return { type: 'string', value: token.value, quote: token.kind === 'single' ? 'single' : 'double', position: token.start };
}

/** `('a', "b")`. MLflow's own messages for ill-formed lists are kept. */
function parseList(cursor: TokenCursor): ValueNode {
  const open = cursor.next();
  if (open.kind !== 'lparen') {
    cursor.fail(`expected a parenthesized list of quoted strings after IN, found ${describe(open)}`, open.start);
  }
  const items: StringLiteral[] = [];
  for (;;) {
    const token = cursor.next();
    if (token.kind === 'rparen') {
      if (items.length === 0) {
        cursor.fail('While parsing a list in the query, expected a non-empty list of string values, but got empty list', token.start);
      }
      return { type: 'list', items, position: open.start };
    }
    if (token.kind !== 'single' && token.kind !== 'double') {
      cursor.fail(`While parsing a list in the query, expected string value, punctuation, or whitespace, but got ${describe(token)}`, token.start);
    }
    items.push(stringLiteral(token));
    const separator = cursor.next();
    if (separator.kind === 'rparen') return { type: 'list', items, position: open.start };
    if (separator.kind !== 'comma') {
      cursor.fail(`expected ',' or ')' in the list, found ${describe(separator)}`, separator.start);
    }
  }
}
