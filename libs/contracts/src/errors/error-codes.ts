import { assertNever } from '../assert-never';

/**
 * MLflow's error codes and their HTTP statuses (mlflow/exceptions.py ERROR_CODE_TO_HTTP_STATUS).
 * Client mistakes are always 4xx: the mlflow client retries 5xx and then hides the message.
 */
export const ERROR_CODES = [
  'INTERNAL_ERROR',
  'TEMPORARILY_UNAVAILABLE',
  'IO_ERROR',
  'BAD_REQUEST',
  'SERVICE_UNDER_MAINTENANCE',
  'INVALID_PARAMETER_VALUE',
  'ENDPOINT_NOT_FOUND',
  'MALFORMED_REQUEST',
  'INVALID_STATE',
  'PERMISSION_DENIED',
  'FEATURE_DISABLED',
  'CUSTOMER_UNAUTHORIZED',
  'REQUEST_LIMIT_EXCEEDED',
  'RESOURCE_DOES_NOT_EXIST',
  'RESOURCE_ALREADY_EXISTS',
  'RESOURCE_CONFLICT',
  'RESOURCE_EXHAUSTED',
  'ABORTED',
  'ALREADY_EXISTS',
  'NOT_FOUND',
  'UNAUTHENTICATED',
  'INVALID_ARGUMENT',
  'NOT_IMPLEMENTED',
  'DEADLINE_EXCEEDED',
  'CANCELLED',
  'DATA_LOSS',
  'UNAVAILABLE',
  'UNKNOWN',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case 'BAD_REQUEST':
    case 'INVALID_PARAMETER_VALUE':
    case 'MALFORMED_REQUEST':
    case 'INVALID_STATE':
    case 'RESOURCE_ALREADY_EXISTS':
    case 'INVALID_ARGUMENT':
      return 400;
    case 'CUSTOMER_UNAUTHORIZED':
    case 'UNAUTHENTICATED':
      return 401;
    case 'PERMISSION_DENIED':
      return 403;
    case 'ENDPOINT_NOT_FOUND':
    case 'RESOURCE_DOES_NOT_EXIST':
    case 'NOT_FOUND':
      return 404;
    case 'ABORTED':
    case 'ALREADY_EXISTS':
    case 'RESOURCE_CONFLICT':
      return 409;
    case 'REQUEST_LIMIT_EXCEEDED':
    case 'RESOURCE_EXHAUSTED':
      return 429;
    case 'CANCELLED':
      return 499;
    case 'INTERNAL_ERROR':
    case 'DATA_LOSS':
    case 'UNKNOWN':
      return 500;
    case 'NOT_IMPLEMENTED':
    case 'FEATURE_DISABLED':
      return 501;
    case 'TEMPORARILY_UNAVAILABLE':
    case 'SERVICE_UNDER_MAINTENANCE':
    case 'UNAVAILABLE':
    case 'IO_ERROR':
      return 503;
    case 'DEADLINE_EXCEEDED':
      return 504;
    default:
      return assertNever(code, 'error code');
  }
}

/** The error every context throws for a request it refuses; the API edge maps it once. */
export class CairnError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CairnError';
  }

  get httpStatus(): number {
    return httpStatusOf(this.code);
  }

  toJSON(): { error_code: ErrorCode; message: string } {
    return { error_code: this.code, message: this.message };
  }
}

export const invalidParameter = (message: string) => new CairnError('INVALID_PARAMETER_VALUE', message);
export const notFound = (message: string) => new CairnError('RESOURCE_DOES_NOT_EXIST', message);
export const alreadyExists = (message: string) => new CairnError('RESOURCE_ALREADY_EXISTS', message);
