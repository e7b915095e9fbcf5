/**
 * A non-2xx answer from S3 to one of the requests this module sends itself (presigned GET and PUT),
 * with S3's error code (`NoSuchKey`, `NoSuchBucket`, `AccessDenied`, …) when its answer had one.
 */
export class S3RequestError extends Error {
  constructor(
    readonly method: 'GET' | 'PUT',
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(`S3 ${method} answered ${status}${code ? ` ${code}` : ''}`);
    this.name = 'S3RequestError';
  }

  /** From S3's XML error document, of which only the <Code> is kept. */
  static fromDocument(method: 'GET' | 'PUT', status: number, document: string): S3RequestError {
    return new S3RequestError(method, status, /<Code>([^<]+)<\/Code>/.exec(document)?.[1]);
  }
}
