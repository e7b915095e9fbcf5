/** The server refused a request: MLflow's `{error_code, message}` plus the HTTP status. */
export class CairnApiError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
    readonly httpStatus: number,
    /** `METHOD path` of the request, for messages and logs. */
    readonly endpoint: string,
  ) {
    super(message);
    this.name = 'CairnApiError';
  }
}

/** The server could not be reached (or kept failing transiently) after every retry. */
export class CairnConnectionError extends Error {
  constructor(
    message: string,
    readonly endpoint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CairnConnectionError';
  }
}

/**
 * The code MLflow's client derives from an HTTP status when the body is not a JSON error
 * (mlflow/exceptions.py HTTP_STATUS_TO_ERROR_CODE): e.g. a plain 404 from a server without the route.
 */
export function errorCodeForStatus(status: number): string {
  if (status === 400) return 'BAD_REQUEST';
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 404) return 'ENDPOINT_NOT_FOUND';
  if (status === 409) return 'RESOURCE_CONFLICT';
  if (status === 429) return 'REQUEST_LIMIT_EXCEEDED';
  if (status === 501) return 'NOT_IMPLEMENTED';
  if (status === 503) return 'TEMPORARILY_UNAVAILABLE';
  if (status === 504) return 'DEADLINE_EXCEEDED';
  return 'INTERNAL_ERROR';
}

/** True for a 404 meaning "this server has no such endpoint" rather than "no such entity". */
export function isMissingEndpoint(error: unknown): boolean {
  return error instanceof CairnApiError && error.httpStatus === 404 && error.errorCode !== 'RESOURCE_DOES_NOT_EXIST';
}
