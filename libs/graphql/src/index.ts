export { GraphqlModule } from './graphql.module';
export { MlflowGraphql, type GraphqlRequest } from './application/mlflow-graphql';
export { QUERY_LIMITS } from './domain/query-limits';
