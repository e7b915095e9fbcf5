import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  asBlobStoreError,
  BlobNotFoundError,
  type BlobInfo,
  type BlobListPage,
  type BlobStore,
  type ByteRange,
  type PutOptions,
  type StoredBlob,
} from './blob-store';
import { meterFrom } from './content-meter';
import { joinArtifactPath, normaliseArtifactPath } from './artifact-path';
import { S3ObjectStream } from './s3-object-stream';
import { S3RequestError } from './s3-request-error';
import { putObjectStream } from './s3-object-upload';
import { credentialProviderFor, type S3Credentials } from './s3-credentials';
import { SigningClient } from './s3-signing-client';

/**
 * Server-side encryption asked for on every object the store writes (single PUT, streamed PUT and
 * multipart alike): SSE-S3 (`AES256`) or SSE-KMS (`aws:kms`, with the bucket's default AWS managed
 * key or `keyId`). Reads need nothing: S3 decrypts for any caller the key policy admits.
 */
export type S3ServerSideEncryption = { mode: 'AES256' } | { mode: 'aws:kms'; keyId?: string };

export interface S3BlobStoreOptions {
  endpoint: string;
  credentials: S3Credentials;
  region: string;
  /**
   * `true`: https://endpoint/bucket/key (MinIO, most S3-compatible stores); `false`: virtual-hosted,
   * https://bucket.endpoint/key (AWS S3, where path style is deprecated). AWS endpoints are always
   * virtual-hosted unless the bucket name has dots (the `minio` client's rule).
   */
  pathStyle?: boolean;
  serverSideEncryption?: S3ServerSideEncryption;
  bucket: string;
  /** Key prefix inside the bucket (no leading/trailing slash), '' for none. */
  prefix: string;
  /** Multipart part size; parts are buffered, so this (× 1 + in-flight parts) bounds memory per upload. */
  partSize?: number;
  /** Parts uploaded concurrently per object. */
  partConcurrency?: number;
  /**
   * PEM certificate(s) to trust for an https endpoint instead of Node's roots (tests; a deployment
   * with a private CA sets NODE_EXTRA_CA_CERTS, which every TLS connection of the process honours).
   */
  ca?: string;
}

// How long the URL a download is read through stays valid; it is used at once.
const GET_URL_EXPIRY_SECONDS = 60;
// An upload's URL is checked when its request starts, however long the body then takes.
const PUT_URL_EXPIRY_SECONDS = 300;
// S3's limit for one PUT; larger objects go in parts.
const MAX_SINGLE_PUT_BYTES = 5 * 1024 * 1024 * 1024;
// 8 MiB parts × 10,000 parts = 80 GB per object; S3's minimum part size is 5 MiB.
const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
// 2 in flight + 1 filling = 24 MiB: with 3 the e2e tier's < 64 MiB bound for a 512 MiB upload was
// crossed in about half the runs (66–71 MiB), and 2 still uploads faster than a direct minio putObject.
const DEFAULT_PART_CONCURRENCY = 2;
const DEFAULT_PAGE = 1000;

/**
 * Blobs as objects in S3 / MinIO through the `minio` client. Uploads are streamed. One of announced
 * size (a part or more, at most 5 GiB; http or https) goes in one PUT written as it arrives
 * (putObjectStream). Otherwise bytes are cut into parts as they arrive and each part is sent as soon
 * as it is full, so memory per upload is bounded by (concurrency + 1) parts whatever the object
 * size; small objects (one part or less) go in a single PUT. A failed upload is aborted, so no parts are left behind (and the bucket should
 * still carry an AbortIncompleteMultipartUpload lifecycle rule for crashes).
 *
 * (minio's own `putObject` is not used for streams: with an unknown size it picks 550 MB parts, and
 * an error on the source stream leaves its promise pending forever.)
 */
export class S3BlobStore implements BlobStore {
  readonly description: string;
  private readonly client: SigningClient;
  /** The headers that ask S3 to encrypt an object, sent (and signed) with every write that creates one. */
  private readonly encryptionHeaders: Record<string, string>;
  private readonly partSize: number;
  private readonly partConcurrency: number;
  /** Set only when `ca` is: the agent every https request of this store goes through. */
  private readonly tlsAgent: HttpsAgent | undefined;

  constructor(private readonly options: S3BlobStoreOptions) {
    const url = new URL(options.endpoint);
    this.tlsAgent = url.protocol === 'https:' && options.ca !== undefined ? new HttpsAgent({ ca: options.ca, keepAlive: true }) : undefined;
    this.client = new SigningClient({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      useSSL: url.protocol === 'https:',
      // Asked before every request, presigned ones included: temporary credentials are renewed there.
      credentialsProvider: credentialProviderFor(options.credentials),
      region: options.region,
      pathStyle: options.pathStyle ?? true,
      ...(this.tlsAgent ? { transportAgent: this.tlsAgent } : {}),
    });
    // Over plain http, minio-js hashes every request body with sha256 to sign it: for an upload that
    // is a second pass over every byte (we hash the content ourselves for its digest), ~1 s of CPU
    // per GB, and it capped uploads through Cairn at ~60% of a direct PUT. Signing with
    // UNSIGNED-PAYLOAD, as SDKs do over https, keeps the request authenticated; single-PUT bodies
    // then carry a Content-MD5 instead (minio-js adds it), parts rely on TCP as over https they rely on TLS.
    this.client.enableSHA256 = false;
    this.encryptionHeaders = encryptionHeaders(options.serverSideEncryption);
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE;
    this.partConcurrency = options.partConcurrency ?? DEFAULT_PART_CONCURRENCY;
    this.description = `s3://${options.bucket}${options.prefix ? `/${options.prefix}` : ''}`;
  }

  /** Creates the bucket if it does not exist (embedded/test convenience; production buckets pre-exist). */
  async ensureBucket(): Promise<void> {
    if (!(await this.client.bucketExists(this.options.bucket))) {
      try {
        await this.client.makeBucket(this.options.bucket, this.options.region);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw error;
      }
    }
  }

  async put(key: string, content: Readable, options: PutOptions = {}): Promise<StoredBlob> {
    const checked = normaliseArtifactPath(key);
    const objectName = this.objectName(checked);
    const { meter, release } = meterFrom(content, options);
    const size = options.expectedSize;
    try {
      if (size !== undefined && size >= this.partSize && size <= MAX_SINGLE_PUT_BYTES) {
        // Size known and larger than a part: streamed in one PUT as it arrives (see putObjectStream).
        const url = await this.client.presignedPutWithHeaders(this.options.bucket, objectName, PUT_URL_EXPIRY_SECONDS, this.encryptionHeaders);
        await putObjectStream(url, meter, size, { agent: this.tlsAgent, headers: this.encryptionHeaders });
      } else {
        const metered = new PassThrough({ highWaterMark: 1024 * 1024 });
        const feeding = pipeline(meter, metered);
        feeding.catch(() => undefined); // observed below through the iterator and awaited at the end
        try {
          await this.upload(objectName, metered);
        } catch (error) {
          metered.destroy();
          throw error;
        }
        await feeding;
      }
    } catch (error) {
      // Nothing more of the source will be stored; what is left of it is the caller's (meterFrom).
      meter.destroy();
      release();
      throw asBlobStoreError(error);
    }
    return { key: checked, size: meter.size, sha256: meter.sha256 };
  }

  /**
   * The object is read by S3ObjectStream from a presigned URL (http or https): the `minio` client's
   * stream makes 2 GB of garbage per GB and downloads ran at ~30% of MinIO's speed.
   */
  async get(key: string, range?: ByteRange): Promise<Readable> {
    const objectName = this.objectName(normaliseArtifactPath(key));
    try {
      // With the region configured, presigning is local: no request is made.
      const url = await this.client.presignedGetObject(this.options.bucket, objectName, GET_URL_EXPIRY_SECONDS);
      return await S3ObjectStream.open(new URL(url), range, { ca: this.options.ca });
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(key);
      throw asBlobStoreError(error);
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    const checked = normaliseArtifactPath(key);
    try {
      const stat = await this.client.statObject(this.options.bucket, this.objectName(checked));
      return { key: checked, size: stat.size };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw asBlobStoreError(error);
    }
  }

  async list(prefix: string, options: { after?: string; limit?: number } = {}): Promise<BlobListPage> {
    const limit = options.limit ?? DEFAULT_PAGE;
    const checkedPrefix = prefix === '' ? '' : normaliseArtifactPath(prefix) + (prefix.endsWith('/') ? '/' : '');
    const base = this.options.prefix ? `${this.options.prefix}/` : '';
    const stream = this.client.listObjectsV2(this.options.bucket, base + checkedPrefix, true, options.after === undefined ? undefined : base + options.after);
    const items: BlobInfo[] = [];
    let more = false;
    try {
      for await (const item of stream as AsyncIterable<{ name?: string; size?: number; lastModified?: Date }>) {
        if (item.name === undefined) continue;
        if (items.length === limit) {
          more = true;
          break;
        }
        items.push({ key: item.name.slice(base.length), size: item.size ?? 0, ...(item.lastModified ? { modifiedAt: item.lastModified } : {}) });
      }
    } catch (error) {
      throw asBlobStoreError(error);
    } finally {
      stream.destroy();
    }
    const last = items[items.length - 1];
    return more && last ? { items, next: last.key } : { items };
  }

  async delete(key: string): Promise<void> {
    await this.client.removeObject(this.options.bucket, this.objectName(normaliseArtifactPath(key))).catch((error: unknown) => {
      throw asBlobStoreError(error);
    });
  }

  async ping(): Promise<void> {
    if (!(await this.client.bucketExists(this.options.bucket))) throw new Error(`bucket ${this.options.bucket} does not exist`);
  }

  private objectName(checkedKey: string): string {
    return joinArtifactPath(this.options.prefix, checkedKey);
  }

  private async upload(objectName: string, source: AsyncIterable<Buffer>): Promise<void> {
    const bucket = this.options.bucket;
    let uploadId: string | undefined;
    const parts: Array<{ part: number; etag: string }> = [];
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    // Part buffers are pooled and reused once their part is sent: memory stays at
    // (concurrency + 1) × partSize however long the stream, with no garbage for the GC to lag behind.
    const pool: Buffer[] = [];
    const take = () => pool.pop() ?? Buffer.allocUnsafeSlow(this.partSize);

    const sendPart = async (body: Buffer, part: number) => {
      // Encryption is asked for when the upload is created; S3 refuses the headers on its parts.
      uploadId ??= await this.client.initiateNewMultipartUpload(bucket, objectName, this.encryptionHeaders);
      const result = await this.client.uploadPart(
        { bucketName: bucket, objectName, uploadID: uploadId, partNumber: part, headers: { 'Content-Length': body.length } },
        body,
      );
      parts.push({ part, etag: result.etag });
    };
    const startPart = async (buffer: Buffer, length: number, part: number) => {
      const task = sendPart(buffer.subarray(0, length), part)
        .catch((error: unknown) => {
          failure ??= error;
        })
        .finally(() => {
          pool.push(buffer);
          inFlight.delete(task);
        });
      inFlight.add(task);
      // The first part creates the upload: later parts wait for it so they share its id.
      if (part === 1) await task;
      while (inFlight.size >= this.partConcurrency) await Promise.race(inFlight);
      if (failure !== undefined) throw failure;
    };

    let partNumber = 0;
    // Until a whole part has arrived, chunks are only kept (a Readable's chunks are ours to keep), not
    // copied: an object smaller than a part, most artifacts, goes out in one PUT of exactly its size
    // and never takes a part buffer.
    const firstChunks: Buffer[] = [];
    let firstBytes = 0;
    let current: Buffer | undefined;
    let filled = 0;
    try {
      for await (const chunk of source) {
        if (current === undefined) {
          if (firstBytes + chunk.length < this.partSize) {
            firstChunks.push(chunk);
            firstBytes += chunk.length;
            continue;
          }
          current = take();
          for (const kept of firstChunks.splice(0)) filled += kept.copy(current, filled);
        }
        let offset = 0;
        while (offset < chunk.length) {
          const n = Math.min(this.partSize - filled, chunk.length - offset);
          chunk.copy(current, filled, offset, offset + n);
          filled += n;
          offset += n;
          if (filled === this.partSize) {
            await startPart(current, filled, ++partNumber);
            current = take();
            filled = 0;
          }
        }
      }
      if (current === undefined) {
        // Fits in one part: a single PUT, no multipart bookkeeping.
        await this.client.putObject(bucket, objectName, Buffer.concat(firstChunks, firstBytes), firstBytes, this.encryptionHeaders);
        return;
      }
      if (filled > 0) await startPart(current, filled, ++partNumber);
      await Promise.all(inFlight);
      if (failure !== undefined) throw failure;
      if (uploadId === undefined) throw new Error('multipart upload was not created');
      parts.sort((a, b) => a.part - b.part);
      await this.client.completeMultipartUpload(bucket, objectName, uploadId, parts);
    } catch (error) {
      await Promise.allSettled(inFlight);
      if (uploadId !== undefined) await this.client.abortMultipartUpload(bucket, objectName, uploadId).catch(() => undefined);
      throw error;
    }
  }
}

function encryptionHeaders(sse: S3ServerSideEncryption | undefined): Record<string, string> {
  if (sse === undefined) return {};
  switch (sse.mode) {
    case 'AES256':
      return { 'x-amz-server-side-encryption': 'AES256' };
    case 'aws:kms':
      return {
        'x-amz-server-side-encryption': 'aws:kms',
        ...(sse.keyId !== undefined ? { 'x-amz-server-side-encryption-aws-kms-key-id': sse.keyId } : {}),
      };
  }
}

function isNotFound(error: unknown): boolean {
  if (error instanceof S3RequestError) return error.status === 404 && (error.code === undefined || error.code === 'NoSuchKey');
  const code = (error as { code?: string }).code;
  return code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchObject';
}
