import type { MlflowErrorBody } from '@cairn/contracts';

/** An MLflow-shaped error answer (`{error_code, message}`), or a transport failure said plainly. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Listener = () => void;
const signInListeners = new Set<Listener>();

/** Called whenever a request answers 401: the shell shows the sign-in prompt. */
export function onSignInNeeded(listener: Listener): () => void {
  signInListeners.add(listener);
  return () => signInListeners.delete(listener);
}

/** The double-submit CSRF token the server set beside the session cookie (ADR 0009); absent without a session. */
function csrfToken(): string | undefined {
  const match = /(?:^|;\s*)cairn_csrf=([^;]*)/.exec(document.cookie);
  return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}

type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

function withQuery(path: string, query: Query | undefined): string {
  if (query === undefined) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) params.append(key, v);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

/**
 * One request to the server this page came from. The session cookie goes along (same origin); a
 * write echoes the CSRF cookie in `X-CSRF-Token`, as the server demands of cookie sessions.
 * Paths are relative (`api/2.0/…`), so the UI also works under a path prefix behind a proxy.
 */
async function request<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const csrf = method === 'GET' ? undefined : csrfToken();
  if (csrf !== undefined) headers['x-csrf-token'] = csrf;
  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch (error) {
    throw new ApiError(0, 'NETWORK_ERROR', `Cannot reach the Cairn server (${(error as Error).message}).`);
  }
  const text = await response.text();
  if (!response.ok) {
    if (response.status === 401) for (const listener of signInListeners) listener();
    throw errorOf(response.status, text);
  }
  return (text === '' ? {} : JSON.parse(text)) as T;
}

function errorOf(status: number, text: string): ApiError {
  try {
    const body = JSON.parse(text) as Partial<MlflowErrorBody>;
    if (typeof body.message === 'string') return new ApiError(status, body.error_code ?? `HTTP_${status}`, body.message);
  } catch {
    // not JSON: a proxy's error page, say
  }
  return new ApiError(status, `HTTP_${status}`, text.trim().slice(0, 300) || `The server answered ${status}.`);
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, { query }),
  post: <T>(path: string, body: unknown) => request<T>('POST', path, { body }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  delete: <T>(path: string, body: unknown) => request<T>('DELETE', path, { body }),
  /** Raw bytes (artifact previews), with the same error handling. */
  async blob(path: string, query: Query): Promise<{ blob: Blob; contentType: string }> {
    const response = await fetch(withQuery(path, query), { credentials: 'same-origin' });
    if (!response.ok) {
      if (response.status === 401) for (const listener of signInListeners) listener();
      throw errorOf(response.status, await response.text());
    }
    return { blob: await response.blob(), contentType: response.headers.get('content-type') ?? '' };
  },
  url: withQuery,
};
