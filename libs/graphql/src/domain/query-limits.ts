import { GraphQLError, Kind, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

/**
 * What a query may ask for before it runs, as MLflow bounds it (`graphql_no_batching.py`): nesting,
 * total selections, root fields and aliases per level — counted through fragments, so a query
 * cannot fan out by spreading the same fragment or hide aliases in sibling fragments. The messages
 * are MLflow's. With the schema's own nesting (a run's data, inputs, outputs, experiment, model
 * versions) no valid query goes deeper than 5; the bounds stop hostile documents early.
 */
export const QUERY_LIMITS = { maxDepth: 10, maxSelections: 1000, maxRootFields: 10, maxAliases: 10 } as const;

/**
 * The parser's own bound, applied before any of the above: MLflow's UI sends documents of a few
 * hundred tokens; a megabyte of braces is refused while it is read, not after it is a tree.
 */
export const MAX_DOCUMENT_TOKENS = 5000;

/** The fields of one level, with fragment spreads and inline fragments merged in, and its aliases. */
function fieldsOfLevel(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): { fields: FieldNode[]; aliases: number } {
  const fields: FieldNode[] = [];
  let aliases = 0;
  const pending = [...selectionSet.selections];
  const spread = new Set<string>();
  for (let selection = pending.shift(); selection !== undefined; selection = pending.shift()) {
    switch (selection.kind) {
      case Kind.FIELD:
        fields.push(selection);
        if (selection.alias) aliases++;
        break;
      case Kind.INLINE_FRAGMENT:
        pending.push(...selection.selectionSet.selections);
        break;
      case Kind.FRAGMENT_SPREAD: {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!spread.has(name) && fragment) pending.push(...fragment.selectionSet.selections);
        spread.add(name);
        break;
      }
    }
  }
  return { fields, aliases };
}

/** The first limit the document breaks, as a GraphQL error; undefined when it is within all of them. */
export function queryLimitError(document: DocumentNode, limits = QUERY_LIMITS): GraphQLError | undefined {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  let rootFields = 0;
  let maxAliases = 0;
  let selections = 0;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const levels: { selectionSet: SelectionSetNode; depth: number }[] = [{ selectionSet: definition.selectionSet, depth: 1 }];
    for (let level = levels.pop(); level !== undefined; level = levels.pop()) {
      if (level.depth > limits.maxDepth) return new GraphQLError(`Query exceeds maximum depth of ${limits.maxDepth}`);
      const { fields, aliases } = fieldsOfLevel(level.selectionSet, fragments);
      for (const field of fields) {
        if (level.depth === 1) rootFields++;
        if (field.selectionSet) levels.push({ selectionSet: field.selectionSet, depth: level.depth + 1 });
        if (++selections > limits.maxSelections) return new GraphQLError(`Query exceeds maximum total selections of ${limits.maxSelections}`);
      }
      maxAliases = Math.max(maxAliases, aliases);
    }
  }
  if (rootFields > limits.maxRootFields) return limitError('root fields', limits.maxRootFields, rootFields);
  if (maxAliases > limits.maxAliases) return limitError('aliases', limits.maxAliases, maxAliases);
  return undefined;
}

const limitError = (what: string, limit: number, got: number) => new GraphQLError(`GraphQL queries should have at most ${limit} ${what}, got ${got} ${what}.`);
