import { AUTHENTICATED, type AccessTable } from '@cairn/contracts';
import type { GraphqlController } from './graphql.controller';

/**
 * Any signed-in caller may send a query; what it returns is decided field by field (READ on each
 * experiment, run and model version, searches filtered by read scope), as MLflow's GraphQL
 * authorization middleware decides. Serving tokens are not admitted: they only load models.
 */
export const GRAPHQL_ACCESS: AccessTable<GraphqlController> = {
  query: AUTHENTICATED,
  queryByUrl: AUTHENTICATED,
};
