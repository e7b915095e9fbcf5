import type { Readable, Writable } from 'node:stream';
import { CairnError } from '@cairn/contracts';

/** What a completed write measured while the bytes went through: nothing is read twice. */
export interface StoredBlob {
  key: string;
  size: number;
  /** Lowercase hex sha256 of the content. */
  sha256: string;
}

export interface BlobInfo {
  key: string;
  size: number;
  /** When the blob was last written (listing only). */
  modifiedAt?: Date;
}

/** Inclusive byte range, as HTTP `Range: bytes=start-end` after resolution against the size. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Content that can also send itself into a destination without making garbage: for a destination
 * that is done with each chunk once its write callback runs (a socket, an HTTP response), whose
 * buffers it recycles. A large download otherwise costs the server a major GC every ~64 MB.
 */
export interface DirectlyWritable {
  /** Writes all the content into `destination` and ends it; rejects if the source fails or the destination closes first. */
  writeTo(destination: Writable): Promise<void>;
}

export function isDirectlyWritable(content: Readable): content is Readable & DirectlyWritable {
  return typeof (content as Partial<DirectlyWritable>).writeTo === 'function';
}

export interface BlobListPage {
  items: BlobInfo[];
  /** Pass back as `after` for the next page; absent on the last page. */
  next?: string;
}

export interface PutOptions {
  /** The size the sender announced (Content-Length); lets S3 pick part sizes, is checked against what arrived. */
  expectedSize?: number;
  /** Refuse (BlobTooLargeError) as soon as more bytes than this arrive: quotas are enforced while streaming. */
  maxBytes?: number;
}

/**
 * The port every context stores bytes through. Keys are relative, `/`-separated paths that the
 * adapters check again (resolveArtifactPath) before touching storage. Every method streams: no
 * adapter holds a whole object in memory.
 */
export interface BlobStore {
  /**
   * Writes `content` at `key` (replacing it atomically), hashing and counting as it streams. When the
   * write fails other than by `content` failing itself, `content` is left where it stopped, unread
   * and not destroyed: the caller chooses to drain it (an HTTP body, so its sender gets the answer) or
   * to drop it.
   */
  put(key: string, content: Readable, options?: PutOptions): Promise<StoredBlob>;
  /** The content of `key`, or of `range` of it; BlobNotFoundError if absent. May be DirectlyWritable. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  head(key: string): Promise<BlobInfo | undefined>;
  /** Keys under `prefix` (a key prefix, typically ending in `/`), in key order, a page at a time. */
  list(prefix: string, options?: { after?: string; limit?: number }): Promise<BlobListPage>;
  /** Removes `key`; absent keys are not an error (deletion is retried by collectors). */
  delete(key: string): Promise<void>;
  /** Readiness: the store answers and the root/bucket exists. */
  ping(): Promise<void>;
  /** A short description for logs and probes (`file:///…`, `s3://bucket/prefix`). */
  readonly description: string;
}

export class BlobNotFoundError extends CairnError {
  constructor(key: string) {
    super('RESOURCE_DOES_NOT_EXIST', `No such artifact: ${key}`);
    this.name = 'BlobNotFoundError';
  }
}

/**
 * More bytes than allowed. Reported as 413 with MLflow's RESOURCE_EXHAUSTED code: the code's usual
 * status, 429, would make the mlflow client retry the upload for a minute and then hide the message.
 */
export class BlobTooLargeError extends CairnError {
  constructor(message: string) {
    super('RESOURCE_EXHAUSTED', message);
    this.name = 'BlobTooLargeError';
  }

  override get httpStatus(): number {
    return 413;
  }
}

/** The body ended before the announced size: the client went away or lied. Never stored. */
export class IncompleteUploadError extends CairnError {
  constructor(expected: number, received: number) {
    super('INVALID_PARAMETER_VALUE', `Upload incomplete: expected ${expected} bytes, received ${received}`);
    this.name = 'IncompleteUploadError';
  }
}

/**
 * The storage has no room for the write: a full drive (ENOSPC, EDQUOT) or S3 saying so (MinIO's
 * 507 XMinioStorageFull). Nothing was stored. Answered 507, which the mlflow client does not retry
 * (it retries 408, 429 and 500–504): resending a large artifact to a full store only moves the bytes
 * again. The message names no path or bucket.
 */
export class BlobStorageFullError extends CairnError {
  constructor() {
    super('RESOURCE_EXHAUSTED', 'Artifact storage is full: the artifact was not stored. Free space in the artifact store and retry');
    this.name = 'BlobStorageFullError';
  }

  override get httpStatus(): number {
    return 507;
  }
}

/**
 * The store could not be reached (connection refused or reset, a timeout, S3's 503): nothing was
 * stored or read. Answered 503 TEMPORARILY_UNAVAILABLE with Retry-After, which every MLflow client
 * retries (docs/reliability.md); an upload is a PUT of the same bytes to the same path, so a retry
 * never stores anything twice.
 */
export class BlobStoreUnavailableError extends CairnError {
  constructor(options?: { cause?: unknown }) {
    super('TEMPORARILY_UNAVAILABLE', 'Artifact storage is unreachable right now: nothing was stored or read. Retry shortly');
    this.name = 'BlobStoreUnavailableError';
    this.cause = options?.cause;
  }
}

// Node's and undici's words for a store that is not there (or went away mid-request).
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ServiceUnavailable',
  'SlowDown',
  'XMinioServerNotInitialized',
]);

/**
 * `error` as the answer a client should see: BlobStorageFullError for a full store,
 * BlobStoreUnavailableError for one that cannot be reached, else `error` itself.
 */
export function asBlobStoreError(error: unknown): unknown {
  const full = asStorageFullError(error);
  if (full !== error || error instanceof CairnError) return full;
  const { code, status, cause } = (error ?? {}) as { code?: unknown; status?: unknown; cause?: { code?: unknown } };
  const unreachable =
    (typeof code === 'string' && UNREACHABLE_CODES.has(code)) || (typeof cause?.code === 'string' && UNREACHABLE_CODES.has(cause.code)) || status === 503;
  return unreachable ? new BlobStoreUnavailableError({ cause: error }) : error;
}

/**
 * `error` as BlobStorageFullError when it says the store is out of space, else `error` itself. Knows
 * the shapes the adapters see: a Node errno (`ENOSPC`, `EDQUOT`), an S3 answer with status 507, and
 * an S3 error code from the `minio` client or our own requests (`XMinioStorageFull`).
 */
export function asStorageFullError(error: unknown): unknown {
  const { code, status } = (error ?? {}) as { code?: unknown; status?: unknown };
  const full = code === 'ENOSPC' || code === 'EDQUOT' || code === 'XMinioStorageFull' || status === 507;
  return full ? new BlobStorageFullError() : error;
}
