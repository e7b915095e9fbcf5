import type { Permission, Principal } from '@cairn/contracts';
import { effectivePermission, grantKey, readScope, type PermissionInputs } from './effective-permission';

const user = (overrides: Partial<Principal> = {}): Principal => ({
  kind: 'user',
  userId: 7,
  username: 'ana',
  actor: 'ana',
  isAdmin: false,
  groups: [],
  ...overrides,
});
const grants = (...entries: Array<[string, string, Permission]>) => new Map(entries.map(([type, id, p]) => [grantKey(type as 'experiment', id), p]));
const inputs = (overrides: Partial<PermissionInputs> = {}): PermissionInputs => ({
  principal: user(),
  userGrants: new Map(),
  groupGrants: [],
  defaultPermission: 'NO_PERMISSIONS',
  ...overrides,
});

describe('effectivePermission', () => {
  it('is the default without a grant, and the grant with one (a grant can lower the default too)', () => {
    expect(effectivePermission(inputs(), 'experiment', '1')).toBe('NO_PERMISSIONS');
    expect(effectivePermission(inputs({ defaultPermission: 'READ' }), 'experiment', '1')).toBe('READ');
    expect(effectivePermission(inputs({ userGrants: grants(['experiment', '1', 'EDIT']) }), 'experiment', '1')).toBe('EDIT');
    expect(effectivePermission(inputs({ defaultPermission: 'READ', userGrants: grants(['experiment', '1', 'NO_PERMISSIONS']) }), 'experiment', '1')).toBe(
      'NO_PERMISSIONS',
    );
  });

  it('takes the strongest of the user’s and its groups’ grants', () => {
    const i = inputs({ userGrants: grants(['registered_model', 'm', 'READ']), groupGrants: [grants(['registered_model', 'm', 'MANAGE']), grants()] });
    expect(effectivePermission(i, 'registered_model', 'm')).toBe('MANAGE');
  });

  it('gives admins MANAGE everywhere, and never applies the default to webhooks', () => {
    expect(effectivePermission(inputs({ principal: user({ isAdmin: true }) }), 'webhook', 'w1')).toBe('MANAGE');
    expect(effectivePermission(inputs({ defaultPermission: 'MANAGE' }), 'webhook', 'w1')).toBe('NO_PERMISSIONS');
  });

  it('never lets a token exceed its scopes, nor its owner', () => {
    const token = (scopes: Principal['token'] extends infer T ? (T extends { scopes: infer S } ? S : never) : never, ownerIsAdmin = false) =>
      user({ kind: 'token', token: { id: 't', scopes, servingOnly: false, ownerIsAdmin } });
    const scoped = token([{ resourceType: 'registered_model', resourceId: 'churn', permission: 'EDIT' }], true);
    expect(effectivePermission(inputs({ principal: scoped }), 'registered_model', 'churn')).toBe('EDIT');
    expect(effectivePermission(inputs({ principal: scoped }), 'registered_model', 'other')).toBe('NO_PERMISSIONS');
    expect(effectivePermission(inputs({ principal: scoped }), 'experiment', '1')).toBe('NO_PERMISSIONS');
    // Owner only has READ: the EDIT scope does not lift it.
    const owned = token([{ resourceType: 'registered_model', resourceId: '*', permission: 'EDIT' }]);
    expect(effectivePermission(inputs({ principal: owned, userGrants: grants(['registered_model', 'churn', 'READ']) }), 'registered_model', 'churn')).toBe(
      'READ',
    );
  });
});

describe('readScope', () => {
  it('lists only granted resources when the default hides everything', () => {
    const i = inputs({ userGrants: grants(['experiment', '2', 'READ'], ['experiment', '3', 'NO_PERMISSIONS'], ['registered_model', 'm', 'EDIT']) });
    expect(readScope(i, 'experiment')).toEqual({ kind: 'only', ids: ['2'] });
    expect(readScope(i, 'registered_model')).toEqual({ kind: 'only', ids: ['m'] });
  });

  it('lists everything but the explicitly hidden when the default lets everyone read', () => {
    const i = inputs({ defaultPermission: 'READ', userGrants: grants(['experiment', '3', 'NO_PERMISSIONS'], ['experiment', '4', 'EDIT']) });
    expect(readScope(i, 'experiment')).toEqual({ kind: 'all-except', ids: ['3'] });
    expect(readScope(inputs({ defaultPermission: 'READ' }), 'experiment')).toEqual({ kind: 'all' });
  });

  it('narrows a scoped token to its scopes', () => {
    const principal = user({
      kind: 'token',
      token: { id: 't', servingOnly: true, ownerIsAdmin: true, scopes: [{ resourceType: 'registered_model', resourceId: 'churn', permission: 'READ' }] },
    });
    expect(readScope(inputs({ principal }), 'registered_model')).toEqual({ kind: 'only', ids: ['churn'] });
    expect(readScope(inputs({ principal }), 'experiment')).toEqual({ kind: 'only', ids: [] });
  });

  it('shows admins everything', () => {
    expect(readScope(inputs({ principal: user({ isAdmin: true }), userGrants: grants(['experiment', '3', 'NO_PERMISSIONS']) }), 'experiment')).toEqual({
      kind: 'all',
    });
  });
});
