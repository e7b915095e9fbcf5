import type { ComparisonNode, FilterNode, IdentifierNode, NameQuote, StringLiteral, ValueNode } from './ast';
import { scanQuoted } from './lexer';

/**
 * Prints a filter tree back to MLflow syntax, so that `parseFilter(printFilter(tree))` gives the
 * same tree (positions aside). Throws for trees no source text can produce, e.g. a string that
 * ends in a backslash inside single quotes.
 */
export function printFilter(filter: FilterNode): string {
  return filter.comparisons.map(printComparison).join(' AND ');
}

function printComparison(comparison: ComparisonNode): string {
  const printed = `${printIdentifier(comparison.identifier)} ${comparison.comparator}`;
  return comparison.value.type === 'none' ? printed : `${printed} ${printValue(comparison.value)}`;
}

const RESERVED = new Set(['AND', 'OR', 'NOT', 'IN', 'LIKE', 'ILIKE', 'IS', 'NULL', 'ASC', 'DESC']);
const FIRST_NAME = /^[\p{L}_][\p{L}\p{N}_]*$/u;
const LATER_NAME = /^[\p{L}\p{N}_]+$/u;

export function printIdentifier(identifier: IdentifierNode): string {
  if (identifier.prefix === null) {
    if (identifier.keyQuote === 'bare' && (!FIRST_NAME.test(identifier.key) || RESERVED.has(identifier.key.toUpperCase()))) {
      throw new Error(`'${identifier.key}' cannot be written as a bare attribute name`);
    }
    return printName(identifier.key, identifier.keyQuote);
  }
  const { name, quote } = identifier.prefix;
  if (quote === 'bare' && (!FIRST_NAME.test(name) || RESERVED.has(name.toUpperCase()))) {
    throw new Error(`'${name}' cannot be written as a bare prefix`);
  }
  if (identifier.keyQuote === 'bare' && !identifier.key.split('.').every((part) => LATER_NAME.test(part))) {
    throw new Error(`'${identifier.key}' cannot be written as a bare key`);
  }
  return `${printName(name, quote)}.${printName(identifier.key, identifier.keyQuote)}`;
}

function printName(name: string, quote: NameQuote): string {
  switch (quote) {
    case 'bare':
      return name;
    case 'backtick':
      return enclose(name, '`');
    case 'double':
      return enclose(name, '"');
  }
}

function printValue(value: ValueNode): string {
  switch (value.type) {
    case 'number':
      return value.text;
    case 'string':
      return printString(value);
    case 'list':
      return `(${value.items.map(printString).join(', ')})`;
    case 'none':
      return '';
  }
}

function printString(literal: StringLiteral): string {
  return enclose(literal.value, literal.quote === 'single' ? "'" : '"');
}

/** Quotes text verbatim (MLflow never unescapes), checking the lexer would read it back whole. */
export function enclose(text: string, quote: "'" | '"' | '`'): string {
  const printed = `${quote}${text}${quote}`;
  if (scanQuoted(printed, 0) !== printed.length) {
    throw new Error(`${JSON.stringify(text)} cannot be written between ${quote} quotes`);
  }
  return printed;
}
