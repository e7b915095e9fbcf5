import { createHash } from 'node:crypto';

/**
 * A name-based UUID (RFC 9562 version 8, built like version 5 but over SHA-256): the same parts
 * always give the same id. For ids a projection assigns to rows, so that replaying the event log
 * gives back the same ids instead of fresh random ones. `parts` should be the row's natural key
 * (plus a kind, so two tables never share an id); they are JSON-encoded, so `['a,b']` and
 * `['a', 'b']` differ.
 */
export function nameBasedUuid(...parts: readonly string[]): string {
  const b = createHash('sha256').update(JSON.stringify(parts)).digest();
  b[6] = 0x80 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const hex = b.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
