export { IdentityModule } from './identity.module';
export { AccessControl } from './application/access-control';
export { effectivePermission, readScope } from './domain/effective-permission';
