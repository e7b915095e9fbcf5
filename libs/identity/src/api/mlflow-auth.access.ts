import {
  ADMIN_ONLY,
  AUTHENTICATED,
  bodyInput,
  experimentRef,
  named,
  queryInput,
  requires,
  RESOURCE_TYPES,
  type AccessTable,
  type Locator,
  type RequestInput,
  type ResourceType,
} from '@cairn/contracts';
import type { MlflowAuthController } from './mlflow-auth.controller';

/** MLflow 3's unified grant names its resource by (resource_type, resource_id), from where its handler reads them. */
const grantedResource =
  (input: RequestInput): Locator =>
  (request) => {
    const fields = input(request);
    const type = fields['resource_type'];
    const id = typeof fields['resource_id'] === 'number' ? String(fields['resource_id']) : fields['resource_id'];
    if (typeof type !== 'string' || typeof id !== 'string' || id === '' || !(RESOURCE_TYPES as readonly string[]).includes(type)) return [];
    return [type === 'experiment' ? experimentRef(id) : { type: type as ResourceType, id }];
  };

const experiment = named('experiment', 'experiment_id');
const registeredModel = named('registered_model', 'name');

/**
 * MLflow's rules: user management is admin-only (reading or changing yourself excepted, checked in
 * IdentityService); granting on a resource needs MANAGE on it.
 */
export const MLFLOW_AUTH_ACCESS: AccessTable<MlflowAuthController> = {
  createUser: ADMIN_ONLY,
  getUser: AUTHENTICATED,
  currentUser: AUTHENTICATED,
  currentUserPermissions: AUTHENTICATED,
  listUsers: ADMIN_ONLY,
  updatePassword: AUTHENTICATED,
  updateAdmin: ADMIN_ONLY,
  deleteUser: ADMIN_ONLY,
  createExperimentPermission: requires('MANAGE', experiment),
  getExperimentPermission: requires('MANAGE', experiment),
  updateExperimentPermission: requires('MANAGE', experiment),
  deleteExperimentPermission: requires('MANAGE', experiment),
  createRegisteredModelPermission: requires('MANAGE', registeredModel),
  getRegisteredModelPermission: requires('MANAGE', registeredModel),
  updateRegisteredModelPermission: requires('MANAGE', registeredModel),
  deleteRegisteredModelPermission: requires('MANAGE', registeredModel),
  grantUserPermission: requires('MANAGE', grantedResource(bodyInput)),
  revokeUserPermission: requires('MANAGE', grantedResource(bodyInput)),
  getUserPermission: requires('MANAGE', grantedResource(queryInput())),
};
