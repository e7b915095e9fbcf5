import type { IdentifierNode, OrderByNode, SortKey } from './ast';
import type { OrderTerm, SearchEntity } from './entities/descriptor';
import { SearchSyntaxError } from './errors';
import { tokenize } from './lexer';
import { describe, isKeyword, parseIdentifier, TokenCursor } from './parser';
import { identifierKind, unknownAttribute, type Fail } from './resolve-filter';

/** Parses one order_by entry: `<identifier> [ASC|DESC]` (MLflow `_parse_order_by_string`). */
export function parseOrderByClause(clause: string): OrderByNode {
  const fail = (detail: string, position: number): never => {
    throw new SearchSyntaxError(`Invalid order_by clause '${clause}'. Could not be parsed: ${detail} (at position ${position})`, 'order_by', position);
  };
  const cursor = new TokenCursor(tokenize(clause, fail), fail);
  if (cursor.peek().kind === 'end') fail('expected an identifier such as metrics.<key> or start_time', 0);
  const identifier = parseIdentifier(cursor);
  let direction: OrderByNode['direction'] = null;
  const next = cursor.next();
  if (next.kind === 'word') {
    if (isKeyword(next, 'ASC')) direction = 'ASC';
    else if (isKeyword(next, 'DESC')) direction = 'DESC';
    else {
      throw new SearchSyntaxError(
        `Invalid ordering key in order_by clause '${clause}': expected ASC or DESC, found ${describe(next)} (at position ${next.start})`,
        'order_by',
        next.start,
      );
    }
    const end = cursor.next();
    if (end.kind !== 'end') fail(`expected the end of the clause, found ${describe(end)}`, end.start);
  } else if (next.kind !== 'end') {
    fail(`expected ASC, DESC or the end of the clause, found ${describe(next)}`, next.start);
  }
  return { identifier, direction };
}

/**
 * The complete sort order for a search: the user's order_by entries checked against the entity,
 * then the entity's defaults and tie-breakers (runs: `start_time DESC`, `run_id ASC`, as in
 * `SqlAlchemyStore._get_orderby_clauses`; experiments: see experimentsSearch).
 */
export function resolveOrderBy(entity: SearchEntity, orderBy: readonly string[] | undefined): SortKey[] {
  const requested = (orderBy ?? []).map((clause) => resolveClause(entity, clause));

  if (entity.ordering.rejectDuplicates) {
    const seen = new Set<string>();
    for (const key of requested) {
      const id = sortKeyId(key);
      if (seen.has(id)) {
        throw new SearchSyntaxError(`\`order_by\` contains duplicate fields: [${(orderBy ?? []).map((c) => `'${c}'`).join(', ')}]`, 'order_by');
      }
      seen.add(id);
    }
  }

  const keys: SortKey[] = requested.length > 0 ? requested : entity.ordering.whenEmpty.map(defaultKey);
  for (const term of entity.ordering.appendIfMissing) {
    if (!keys.some((key) => key.kind === 'attribute' && key.attribute === term.attribute)) keys.push(defaultKey(term));
  }
  for (const attribute of entity.ordering.uniqueKey) {
    if (!keys.some((key) => key.kind === 'attribute' && key.attribute === attribute)) {
      // A descriptor bug, not a user error: without the unique key, keyset pages could skip rows.
      throw new Error(`search entity '${entity.name}' ordering does not end in its unique key '${attribute}'`);
    }
  }
  return keys;
}

function defaultKey(term: OrderTerm): SortKey {
  return { kind: 'attribute', attribute: term.attribute, ascending: term.ascending, nullsLast: false };
}

function sortKeyId(key: SortKey): string {
  return key.kind === 'attribute' ? `attribute:${key.attribute}` : `${key.kind}:${key.key}`;
}

function resolveClause(entity: SearchEntity, clause: string): SortKey {
  const node = parseOrderByClause(clause);
  const fail: Fail = (message, position) => {
    throw new SearchSyntaxError(`${message} (in order_by clause '${clause}', at position ${position})`, 'order_by', position);
  };
  const identifier = splitQuotedWholeIdentifier(node.identifier);
  const ascending = node.direction !== 'DESC';
  const kind = identifierKind(entity, identifier, fail);
  switch (kind) {
    case 'attribute': {
      const attribute = entity.orderableAttributes[identifier.key];
      if (attribute === undefined) return unknownAttribute(identifier.key, entity.orderableAttributes, identifier.position, fail);
      return { kind, attribute, ascending, nullsLast: entity.ordering.requestedNullsLast };
    }
    case 'metric':
    case 'param':
    case 'tag': {
      const table = kind === 'metric' ? entity.metrics : kind === 'param' ? entity.params : entity.tags;
      if (table === undefined || !table.orderable) return fail(`Invalid order_by entity: ${table?.label ?? kind}`, identifier.position);
      return { kind, key: identifier.key, ascending };
    }
    case 'dataset':
      return fail('Invalid order_by entity: dataset', identifier.position);
  }
}

/**
 * MLflow turns backticks into double quotes and `shlex.split`s the order_by string, so a fully
 * quoted `` `metrics.val auc` `` still splits at its first dot. Filters do not do this.
 */
function splitQuotedWholeIdentifier(identifier: IdentifierNode): IdentifierNode {
  if (identifier.prefix !== null || identifier.keyQuote === 'bare') return identifier;
  const dot = identifier.key.indexOf('.');
  if (dot < 0) return identifier;
  return {
    prefix: { name: identifier.key.slice(0, dot), quote: 'bare' },
    key: identifier.key.slice(dot + 1),
    keyQuote: identifier.keyQuote,
    position: identifier.position,
  };
}
