import { createHash, type Hash } from 'node:crypto';
import { finished, type Readable, Transform, type TransformCallback } from 'node:stream';
import { BlobTooLargeError, IncompleteUploadError } from './blob-store';

/**
 * A pass-through that computes sha256 and the byte count of what flows through it, and stops the
 * flow the moment a byte limit is crossed, so that quotas hold without buffering.
 */
export class ContentMeter extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private count = 0;
  private digest: string | undefined;

  constructor(private readonly limits: { maxBytes?: number; expectedSize?: number } = {}) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    const { maxBytes, expectedSize } = this.limits;
    if (maxBytes !== undefined && this.count > maxBytes) {
      callback(new BlobTooLargeError(`Artifact exceeds the allowed size of ${maxBytes} bytes`));
      return;
    }
    if (expectedSize !== undefined && this.count > expectedSize) {
      callback(new BlobTooLargeError(`Upload is longer than its announced ${expectedSize} bytes`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const { expectedSize } = this.limits;
    if (expectedSize !== undefined && this.count !== expectedSize) {
      callback(new IncompleteUploadError(expectedSize, this.count));
      return;
    }
    this.digest = this.hash.digest('hex');
    callback();
  }

  get size(): number {
    return this.count;
  }

  /** Available once the stream has ended. */
  get sha256(): string {
    if (this.digest === undefined) throw new Error('ContentMeter: the stream has not ended');
    return this.digest;
  }
}

/**
 * A meter fed from `source`, for the stores' `put`. A failure of the source (its sender gone) fails
 * the meter. A failure downstream does not touch the source: `release()` unpipes it where it stopped,
 * so the caller — the HTTP layer — can still drain the rest of a request body and answer the sender,
 * instead of the connection being dropped under it.
 */
export function meterFrom(source: Readable, limits: { maxBytes?: number; expectedSize?: number } = {}): { meter: ContentMeter; release(): void } {
  const meter = new ContentMeter(limits);
  const stopWatching = finished(source, { writable: false }, (error) => {
    if (error) meter.destroy(error);
  });
  source.pipe(meter);
  return {
    meter,
    release: () => {
      stopWatching();
      source.unpipe(meter);
    },
  };
}
