export { GraphqlModule } from './graphql.module';
export { MlflowGraphql, type GraphqlRequest, type GraphqlResponse } from './application/mlflow-graphql';
export { QUERY_LIMITS } from './domain/query-limits';
