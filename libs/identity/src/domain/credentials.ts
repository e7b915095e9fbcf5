import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a request presented, before anything is checked. */
export type Credentials =
  | { kind: 'basic'; username: string; password: string }
  /** A Cairn machine token: `cairn_<32 hex: token id>_<43 base64url: secret>`. */
  | { kind: 'token'; tokenId: string; secret: string }
  /** Any other bearer value: an OIDC access or ID token (a JWT). */
  | { kind: 'jwt'; jwt: string }
  | { kind: 'malformed'; reason: string };

/** Longer headers are refused before any parsing or hashing (a JWT with groups stays far below). */
export const MAX_AUTHORIZATION_LENGTH = 8192;

const TOKEN_PATTERN = /^cairn_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

/** Reads an Authorization header the way the mlflow client and the SDK send it; undefined when absent. */
export function parseAuthorization(header: string | undefined): Credentials | undefined {
  if (header === undefined || header === '') return undefined;
  if (header.length > MAX_AUTHORIZATION_LENGTH) return { kind: 'malformed', reason: 'Authorization header is too long' };
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  const value = space === -1 ? '' : header.slice(space + 1).trim();
  switch (scheme.toLowerCase()) {
    case 'basic': {
      if (!/^[A-Za-z0-9+/]+=*$/.test(value)) return { kind: 'malformed', reason: 'Basic credentials are not base64' };
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) return { kind: 'malformed', reason: 'Basic credentials need user:password' };
      return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    case 'bearer': {
      if (value === '') return { kind: 'malformed', reason: 'Bearer credentials are empty' };
      const [, idHex, secret] = TOKEN_PATTERN.exec(value) ?? [];
      if (idHex !== undefined && secret !== undefined) return { kind: 'token', tokenId: formatUuid(idHex), secret };
      if (value.startsWith('cairn_')) return { kind: 'malformed', reason: 'Malformed Cairn token' };
      return { kind: 'jwt', jwt: value };
    }
    default:
      return { kind: 'malformed', reason: `Unsupported authorization scheme '${scheme.slice(0, 20)}'` };
  }
}

const formatUuid = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

/** A fresh machine token: its id, the secret shown once, and the hash that is stored. */
export function mintToken(tokenId: string): { secret: string; token: string; secretSha256: Buffer } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, token: `cairn_${tokenId.replace(/-/g, '')}_${secret}`, secretSha256: sha256(secret) };
}

export const sha256 = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();

/**
 * What verified credentials are cached under: the SHA-256 of the whole header, so no secret is
 * kept as a key. One-shot `crypto.hash` (a quarter of createHash's cost): it runs on every request.
 */
export const credentialCacheKey = (header: string): string => hash('sha256', header, 'base64');

/** Compares a presented secret with a stored hash in time independent of where they differ. */
export function secretMatches(presented: string, storedSha256: Uint8Array): boolean {
  const presentedHash = sha256(presented);
  return storedSha256.length === presentedHash.length && timingSafeEqual(presentedHash, storedSha256);
}
