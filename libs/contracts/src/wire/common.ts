import type { ErrorCode } from '../errors/error-codes';

/**
 * MLflow's REST wire shapes, shared by the server (which must produce them) and the SDK (which
 * reads them), so the compiler ties one to the other. Protobuf JSON as MLflow's `message_to_json`
 * writes it: snake_case names, int64 as JSON numbers, enums as names, unset fields omitted (never
 * null).
 */

export type LifecycleStage = 'active' | 'deleted';
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

/** Every error answer: `{error_code, message}` (databricks_pb2.ErrorCode names). */
export interface MlflowErrorBody {
  error_code: ErrorCode | string;
  message: string;
}

/** The `next_page_token` every paginated listing carries while more pages remain. */
export interface NextPageToken {
  next_page_token?: string;
}

/**
 * A GraphQL answer in MLflow's shape (`handlers._graphql`, `/graphql`): `errors` is a list of messages, not of GraphQL error
 * objects, and null when there are none. The UI reads `data` and treats any `errors` as a failure.
 */
export interface GraphqlResponse {
  data: Record<string, unknown> | null;
  errors: string[] | null;
}
