import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import type { SortComponent, SortValue } from './compile-sql';
import { SearchSyntaxError } from './errors';

/**
 * Page tokens.
 *
 * MLflow's tokens are `base64({"offset": n})`: rows inserted between two page fetches shift
 * the offsets, so a client paging through a growing experiment skips or repeats runs. Cairn's
 * tokens are keysets instead: the sort values of the last row returned (tie-breaker included),
 * from which the next page starts strictly after that row, whatever was inserted meanwhile.
 *
 * Format: `<base64url(JSON {v, q, k})>.<base64url(HMAC-SHA256(body))>`
 *   v  format version (1)
 *   q  fingerprint of entity + filter + order + caller scope: a token only resumes the query
 *      that produced it
 *   k  sort values, one per sort component (ranks as numbers, int64 as decimal strings,
 *      doubles as numbers or "Infinity"/"-Infinity", text as strings, null for a missing value)
 * The MAC catches corrupted or hand-edited tokens. Forging one needs the secret; even a forged
 * token is harmless because every value is type-checked here and bound as a parameter.
 *
 * MLflow offset tokens are still accepted, so a client holding one from an MLflow server
 * behind the same URL keeps working; the next token it gets is a keyset token.
 */

export type DecodedPageToken = { readonly kind: 'keyset'; readonly values: readonly SortValue[] } | { readonly kind: 'offset'; readonly offset: number };

const VERSION = 1;
const MAX_TOKEN_LENGTH = 256 * 1024;
export const DEFAULT_TOKEN_SECRET = 'cairn-search-page-token-v1';

/** Short stable hash of everything that determines a result set. */
export function queryFingerprint(parts: unknown): string {
  const canonical = JSON.stringify(parts, (_key, value: unknown) =>
    // JSON would turn ±Infinity into null; keep them distinct.
    typeof value === 'number' && !Number.isFinite(value) ? `number:${String(value)}` : value,
  );
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

function mac(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url').slice(0, 22);
}

export function encodePageToken(fingerprint: string, values: readonly SortValue[], secret = DEFAULT_TOKEN_SECRET): string {
  const k = values.map((value) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value));
  const body = Buffer.from(JSON.stringify({ v: VERSION, q: fingerprint, k }), 'utf8').toString('base64url');
  return `${body}.${mac(body, secret)}`;
}

function invalid(detail: string): SearchSyntaxError {
  return new SearchSyntaxError(`Invalid page token, ${detail}`, 'page_token');
}

export interface PageTokenExpectation {
  readonly fingerprint: string;
  readonly components: readonly SortComponent[];
  readonly secret?: string;
}

export function decodePageToken(token: string, expected: PageTokenExpectation): DecodedPageToken {
  if (token.length > MAX_TOKEN_LENGTH) throw invalid('it is too long');
  const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/u.exec(token);
  if (match === null) return decodeMlflowOffsetToken(token);
  const [, body = '', signature = ''] = match;

  const expectedMac = Buffer.from(mac(body, expected.secret ?? DEFAULT_TOKEN_SECRET));
  const actualMac = Buffer.from(signature);
  if (expectedMac.length !== actualMac.length || !timingSafeEqual(expectedMac, actualMac)) {
    throw invalid('it is corrupted or was modified');
  }
  const payload = parseJson(Buffer.from(body, 'base64url').toString('utf8'));
  if (!isRecord(payload) || payload['v'] !== VERSION) throw invalid('unsupported token version');
  if (payload['q'] !== expected.fingerprint) {
    throw invalid('it belongs to a different search (filter, order_by or experiments changed); start again without a page token');
  }
  const values = payload['k'];
  if (!Array.isArray(values) || values.length !== expected.components.length) {
    throw invalid('its sort values do not match the order_by');
  }
  return { kind: 'keyset', values: expected.components.map((component, i) => checkedValue(component, values[i] as unknown)) };
}

function checkedValue(component: SortComponent, value: unknown): SortValue {
  const mismatch = (): never => {
    throw invalid('its sort values do not match the order_by');
  };
  if (value === null) return component.nulls === 'never' ? mismatch() : null;
  switch (component.type) {
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : mismatch();
    case 'bigint':
      return typeof value === 'string' && /^-?\d{1,19}$/u.test(value) && fitsInt64(value) ? value : mismatch();
    case 'double precision':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (value === 'Infinity') return Number.POSITIVE_INFINITY;
      if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
      return mismatch();
    case 'text':
      return typeof value === 'string' ? value : mismatch();
  }
}

function fitsInt64(decimal: string): boolean {
  const value = BigInt(decimal);
  return value >= -(2n ** 63n) && value < 2n ** 63n;
}

/** MLflow's `SearchUtils.parse_start_offset_from_page_token`: base64 of `{"offset": n}`. */
function decodeMlflowOffsetToken(token: string): DecodedPageToken {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/u.test(token)) throw invalid('could not base64-decode');
  const payload = parseJson(Buffer.from(token, 'base64').toString('utf8'));
  const offset = isRecord(payload) ? payload['offset'] : undefined;
  const parsed = typeof offset === 'string' && /^\d+$/u.test(offset) ? Number(offset) : offset;
  if (typeof parsed !== 'number' || !Number.isSafeInteger(parsed) || parsed < 0) {
    throw invalid('it is not a token issued by this server');
  }
  return { kind: 'offset', offset: parsed };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalid('it is not a token issued by this server');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
