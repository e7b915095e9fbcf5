/**
 * Reading who a verified OIDC token names. Identity providers disagree on shapes: groups come as a
 * JSON array (Keycloak, Entra ID, Okta) or as one space- or comma-separated string (some LDAP-backed
 * IdPs and proxies); anything else is ignored rather than guessed at.
 */

/** At most this many groups are taken from one token (a principal's grants are loaded per group). */
export const MAX_GROUPS = 200;
const MAX_GROUP_LENGTH = 256;

/** The groups a claim value lists: distinct, non-empty strings, in the order given. */
export function groupsFromClaim(value: unknown): string[] {
  let names: unknown[];
  if (Array.isArray(value)) names = value;
  else if (typeof value === 'string') names = value.split(/[\s,]+/);
  else return [];
  const groups = new Set<string>();
  for (const name of names) {
    if (typeof name !== 'string') continue;
    const group = name.trim();
    if (group === '' || group.length > MAX_GROUP_LENGTH) continue;
    groups.add(group);
    if (groups.size === MAX_GROUPS) break;
  }
  return [...groups];
}

/** The user name: the configured claim when it is a usable string, else the subject (always present). */
export function usernameFromClaims(claims: Record<string, unknown>, usernameClaim: string): string | undefined {
  for (const value of [claims[usernameClaim], claims['sub']]) {
    if (typeof value === 'string' && value.trim() !== '' && value.length <= 256) return value.trim();
  }
  return undefined;
}
