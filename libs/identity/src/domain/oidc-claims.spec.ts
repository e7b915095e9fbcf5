import { groupsFromClaim, MAX_GROUPS, usernameFromClaims } from './oidc-claims';

describe('groups claim', () => {
  it('reads a JSON array of group names', () => {
    expect(groupsFromClaim(['ml-platform', 'cairn-admins'])).toEqual(['ml-platform', 'cairn-admins']);
  });

  it('reads one space- or comma-separated string', () => {
    expect(groupsFromClaim('ml-platform cairn-admins')).toEqual(['ml-platform', 'cairn-admins']);
    expect(groupsFromClaim('ml-platform, cairn-admins,,team-a')).toEqual(['ml-platform', 'cairn-admins', 'team-a']);
  });

  it('drops duplicates, blanks and values that are not strings', () => {
    expect(groupsFromClaim(['a', ' a ', '', 7, null, { name: 'b' }, 'b'])).toEqual(['a', 'b']);
  });

  it('gives no groups for a missing or unusable claim', () => {
    expect(groupsFromClaim(undefined)).toEqual([]);
    expect(groupsFromClaim(42)).toEqual([]);
    expect(groupsFromClaim({ admins: true })).toEqual([]);
  });

  it('takes a bounded number of groups from one token', () => {
    expect(groupsFromClaim(Array.from({ length: 1000 }, (_, i) => `g${i}`))).toHaveLength(MAX_GROUPS);
  });
});

describe('user name claim', () => {
  it('prefers the configured claim', () => {
    expect(usernameFromClaims({ sub: '1f3a', preferred_username: 'alice' }, 'preferred_username')).toBe('alice');
  });

  it('falls back to the subject when the claim is missing or not a string', () => {
    expect(usernameFromClaims({ sub: '1f3a' }, 'preferred_username')).toBe('1f3a');
    expect(usernameFromClaims({ sub: '1f3a', email: ['x'] }, 'email')).toBe('1f3a');
  });

  it('names nobody when neither is usable', () => {
    expect(usernameFromClaims({ preferred_username: '  ' }, 'preferred_username')).toBeUndefined();
  });
});
