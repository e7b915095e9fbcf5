import type { CurrentUserPermission } from '@cairn/contracts';
import { allows, EVERYTHING, permissionOn, type Grants } from './permissions';

const row = (resource_type: CurrentUserPermission['resource_type'], resource_pattern: string, permission: CurrentUserPermission['permission']) => ({
  role_id: null,
  role_name: '__user_2__',
  workspace: 'default',
  resource_type,
  resource_pattern,
  permission,
});

describe('what the signed-in user may do, as the UI decides which actions to offer', () => {
  const reader: Grants = {
    is_admin: false,
    default_permission: 'NO_PERMISSIONS',
    permissions: [row('experiment', '1', 'READ'), row('registered_model', 'churn', 'EDIT')],
  };

  it('reads a grant on the resource, and holds nothing where none names it', () => {
    expect(allows(reader, 'experiment', '1', 'READ')).toBe(true);
    expect(allows(reader, 'experiment', '1', 'EDIT')).toBe(false);
    expect(allows(reader, 'registered_model', 'churn', 'EDIT')).toBe(true);
    expect(allows(reader, 'registered_model', 'churn', 'MANAGE')).toBe(false);
    expect(permissionOn(reader, 'experiment', '2')).toBe('NO_PERMISSIONS');
  });

  it('takes the strongest of the user and group grants, `*` included', () => {
    const grants: Grants = { ...reader, permissions: [...reader.permissions, row('experiment', '*', 'EDIT')] };
    expect(permissionOn(grants, 'experiment', '1')).toBe('EDIT');
    expect(permissionOn(grants, 'experiment', '7')).toBe('EDIT');
  });

  it('falls back to the default permission, except on webhooks', () => {
    const open: Grants = { is_admin: false, default_permission: 'EDIT', permissions: [] };
    expect(permissionOn(open, 'experiment', '9')).toBe('EDIT');
    expect(permissionOn(open, 'webhook', 'w1')).toBe('NO_PERMISSIONS');
  });

  it('lets an admin (and a server without authentication) do everything', () => {
    expect(allows({ ...reader, is_admin: true }, 'experiment', '2', 'MANAGE')).toBe(true);
    expect(allows(EVERYTHING, 'webhook', 'w1', 'EDIT')).toBe(true);
  });
});
