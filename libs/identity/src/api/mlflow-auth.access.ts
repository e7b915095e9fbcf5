import { ADMIN_ONLY, AUTHENTICATED, named, requestField, requires, RESOURCE_TYPES, type AccessTable, type Locator, type ResourceType } from '@cairn/contracts';
import type { MlflowAuthController } from './mlflow-auth.controller';

/** MLflow 3's unified grant names its resource by (resource_type, resource_id). */
const grantedResource: Locator = (request) => {
  const type = requestField(request, 'resource_type');
  const id = requestField(request, 'resource_id');
  if (type === undefined || id === undefined || !(RESOURCE_TYPES as readonly string[]).includes(type)) return [];
  return [{ type: type as ResourceType, id }];
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
  grantUserPermission: requires('MANAGE', grantedResource),
  revokeUserPermission: requires('MANAGE', grantedResource),
  getUserPermission: requires('MANAGE', grantedResource),
};
