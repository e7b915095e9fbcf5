import { snakeCase } from '@cairn/contracts';
import {
  getNamedType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  type GraphQLFieldResolver,
  type GraphQLOutputType,
  type GraphQLScalarTypeConfig,
} from 'graphql';

/** A value the LongString scalar refuses: the caller's mistake, so its message is shown (other errors are not). */
export class LongStringError extends TypeError {}

/**
 * MLflow's GraphQL resolves fields on protobuf messages (the same responses its REST handlers
 * build), and a proto2 message reads an unset field as its default: `""`, `0`, `false`, an empty
 * list, an empty message. So where Cairn's REST JSON omits a field (a running run's `end_time`, a
 * version without `run_link`), MLflow's GraphQL answers `""`/`"0"`/`[]`, not null. Cairn resolves
 * over its REST JSON (snake_case, unset fields omitted) and fills in the same defaults.
 */

/** What a proto2 message answers for an unset field of this GraphQL type. */
export function protoDefault(type: GraphQLOutputType): unknown {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [];
  // Proto enums default to 0, which MLflow's GraphQL enums (numbered from 1) cannot represent: the
  // field resolves to null with an error, in MLflow as here (an unset deployment job state).
  if (isEnumType(inner)) return 0;
  if (isObjectType(inner)) return {};
  if (isScalarType(inner)) {
    switch (inner.name) {
      case 'String':
        return '';
      case 'Boolean':
        return false;
      default:
        return 0; // Int, Float, LongString ("0")
    }
  }
  return null;
}

/**
 * Fields that are not fields of the proto message behind their parent: graphene finds no attribute
 * and answers null. `apiError` is declared on every response but never filled: failures come back in
 * the response's `errors` list instead (MLflow's resolvers raise).
 */
const NOT_PROTO_FIELDS = new Set(['apiError']);

/** The default resolver: the REST JSON's snake_case field, or the proto default when it is unset. */
export const protoFieldResolver: GraphQLFieldResolver<unknown, unknown> = (source, _args, _context, info) => {
  if (NOT_PROTO_FIELDS.has(info.fieldName)) return null;
  const value = source !== null && typeof source === 'object' ? (source as Record<string, unknown>)[snakeCase(info.fieldName)] : undefined;
  if (value === undefined || value === null) return protoDefault(info.returnType);
  // REST JSON spells non-finite doubles as strings; GraphQL's Float cannot carry them. MLflow answers
  // null for NaN (MlflowMetricExtension.resolve_value); the infinities go the same way here.
  if (getNamedType(info.returnType).name === 'Float' && typeof value === 'string') return null;
  return value;
};

/**
 * MLflow's `LongString`: int64 values travel as strings, so JavaScript does not round them. Inputs
 * take an integer literal, or a variable holding an integer or its digits.
 */
export const longStringScalar: Pick<GraphQLScalarTypeConfig<number, string>, 'serialize' | 'parseValue' | 'parseLiteral'> = {
  serialize: (value) => String(value),
  parseValue: (value) => {
    const n = typeof value === 'number' || typeof value === 'string' ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n)) throw new LongStringError(`LongString cannot represent ${JSON.stringify(value)}`);
    return n;
  },
  parseLiteral: (node) => {
    if (node.kind !== Kind.INT) throw new LongStringError('LongString takes an integer literal');
    return Number(node.value);
  },
};
