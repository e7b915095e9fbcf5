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
