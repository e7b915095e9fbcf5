import { CairnApiError, CairnConnectionError, errorCodeForStatus } from './errors';

export const DEFAULT_TRACKING_URI = 'http://127.0.0.1:5000';

/** The tracking URI: the argument, else `CAIRN_TRACKING_URI`, else `MLFLOW_TRACKING_URI`, else a local server. */
export function resolveTrackingUri(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const uri = explicit || env['CAIRN_TRACKING_URI'] || env['MLFLOW_TRACKING_URI'] || DEFAULT_TRACKING_URI;
  if (!/^https?:\/\//i.test(uri)) throw new Error(`Tracking URI must be http(s)://…, got '${uri}'`);
  return uri.replace(/\/+$/, '');
}

export interface RetryPolicy {
  /** Attempts after the first one. MLflow's client defaults to 5 (MLFLOW_HTTP_REQUEST_MAX_RETRIES). */
  maxRetries: number;
  /** First backoff; doubled on every retry, with full jitter, capped at `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseDelayMs: 250, maxDelayMs: 10_000 };

/** MLflow's `_TRANSIENT_FAILURE_RESPONSE_CODES` (request_utils.py). */
const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
/** Connection-level failures where the request never reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /**
   * Whether sending the request twice is harmless. Reads, updates, deletes, log-batch (the server
   * skips a metric point identical to a stored one, params are write-once with the same value,
   * tags are last-write-wins) are. Creates are not: a create is retried only when it certainly
   * never reached the server (connection refused, 429), so a lost response cannot create twice.
   */
  idempotent?: boolean;
  headers?: Record<string, string>;
  /** Resolve instead of throwing for these statuses (e.g. 304 from alias watch). */
  acceptStatuses?: readonly number[];
  timeoutMs?: number;
}

export interface RawResponse<T> {
  status: number;
  headers: Headers;
  json: T;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  trackingUri?: string;
  retry?: Partial<RetryPolicy>;
  fetch?: FetchLike;
  /** Waits between retries; replaced in tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Per attempt; MLflow's default is 120 s (MLFLOW_HTTP_REQUEST_TIMEOUT). */
  timeoutMs?: number;
  headers?: Record<string, string>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** JSON over HTTP to one tracking server, with MLflow's retry rules and error decoding. */
export class Transport {
  readonly trackingUri: string;
  private readonly retry: RetryPolicy;
  private readonly fetchImpl: FetchLike;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;

  constructor(options: TransportOptions = {}) {
    this.trackingUri = resolveTrackingUri(options.trackingUri);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.sleep = options.sleep ?? realSleep;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.headers = { ...authorizationHeader(), ...options.headers };
  }

  url(path: string, query?: Query): string {
    const url = new URL(`${this.trackingUri}${path}`);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      // MLflow's GET encoding (mlflow-api.md §1.3): repeated keys for lists, never `key[]`.
      for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(v));
    }
    return url.toString();
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.requestRaw<T>(method, path, options)).json;
  }

  async requestRaw<T>(method: string, path: string, options: RequestOptions = {}): Promise<RawResponse<T>> {
    const endpoint = `${method} ${path}`;
    const url = this.url(path, options.query);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers = { ...this.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers };
    return this.withRetries(endpoint, options.idempotent ?? method === 'GET', async () => {
      const response = await this.fetchImpl(url, { method, headers, body, signal: AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs) });
      return decode<T>(response, endpoint, options.acceptStatuses);
    });
  }

  /** One attempt of a non-JSON request (artifact bytes) with the client's headers; no retries, no timeout. */
  fetchOnce(url: string, init: RequestInit): Promise<Response> {
    return this.fetchImpl(url, { ...init, headers: { ...this.headers, ...(init.headers as Record<string, string> | undefined) } });
  }

  /**
   * Runs `attempt` until it succeeds, fails for good, or retries run out. Transient failures
   * (network errors, 408/429/5xx) are retried with exponential backoff and full jitter, honouring
   * `Retry-After`; a non-idempotent request only when it certainly never reached the server.
   */
  async withRetries<T>(endpoint: string, idempotent: boolean, attempt: () => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry++) {
      try {
        return await attempt();
      } catch (error) {
        const verdict = classify(error, idempotent);
        if (verdict === 'fatal' || retry >= this.retry.maxRetries) {
          if (error instanceof CairnApiError) throw error;
          throw new CairnConnectionError(`${endpoint} to ${this.trackingUri} failed: ${describe(error)}`, endpoint, { cause: error });
        }
        const backoff = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** retry);
        const retryAfter = error instanceof TransientStatus ? error.retryAfterMs : undefined;
        await this.sleep(retryAfter !== undefined ? Math.min(retryAfter, this.retry.maxDelayMs) : Math.random() * backoff);
      }
    }
  }
}

/** A 408/429/5xx answer: thrown between attempts, surfaced as a CairnApiError when retries run out. */
class TransientStatus extends CairnApiError {
  constructor(
    errorCode: string,
    message: string,
    httpStatus: number,
    endpoint: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(errorCode, message, httpStatus, endpoint);
  }
}

function classify(error: unknown, idempotent: boolean): 'retry' | 'fatal' {
  if (error instanceof TransientStatus) return idempotent || error.httpStatus === 429 ? 'retry' : 'fatal';
  if (error instanceof CairnApiError) return 'fatal';
  if (idempotent) return 'retry';
  return NOT_SENT_CODES.has(networkCode(error) ?? '') ? 'retry' : 'fatal';
}

function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = networkCode(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}${code && !cause.includes(code) ? ` (${code})` : ''}`;
}

async function decode<T>(response: Response, endpoint: string, acceptStatuses: readonly number[] = []): Promise<RawResponse<T>> {
  const text = await response.text();
  if (response.ok || acceptStatuses.includes(response.status)) {
    try {
      return { status: response.status, headers: response.headers, json: (text === '' ? {} : JSON.parse(text)) as T };
    } catch {
      // MLflow's client refuses such an answer too (rest_utils.verify_rest_response); retrying would not help.
      throw new CairnApiError('INTERNAL_ERROR', `${endpoint} succeeded but the response body was not JSON: ${text.slice(0, 200)}`, response.status, endpoint);
    }
  }
  throw errorFor(response, text, endpoint);
}

/** Throws the error for a non-2xx response (transient statuses stay retriable); returns an ok one untouched. */
export async function ensureOk(response: Response, endpoint: string): Promise<Response> {
  if (response.ok) return response;
  throw errorFor(response, await response.text(), endpoint);
}

function errorFor(response: Response, text: string, endpoint: string): CairnApiError {
  let errorCode = errorCodeForStatus(response.status);
  let message = `${endpoint} failed with HTTP ${response.status}${text ? `: ${text.slice(0, 500)}` : ''}`;
  try {
    const body = JSON.parse(text) as { error_code?: unknown; message?: unknown };
    if (typeof body.error_code === 'string') errorCode = body.error_code;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // not JSON: keep the status-derived code, as MLflow's client does
  }
  if (TRANSIENT_STATUSES.has(response.status)) {
    const retryAfter = Number(response.headers.get('retry-after'));
    return new TransientStatus(errorCode, message, response.status, endpoint, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
  }
  return new CairnApiError(errorCode, message, response.status, endpoint);
}

/** MLflow's credentials variables, so one environment serves both clients. */
function authorizationHeader(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const token = env['CAIRN_TRACKING_TOKEN'] || env['MLFLOW_TRACKING_TOKEN'];
  if (token) return { authorization: `Bearer ${token}` };
  const user = env['MLFLOW_TRACKING_USERNAME'];
  if (user) return { authorization: `Basic ${Buffer.from(`${user}:${env['MLFLOW_TRACKING_PASSWORD'] ?? ''}`).toString('base64')}` };
  return {};
}
