import { Body, Controller, Delete, Get, HttpCode, Inject, Patch, Post, Query, Req } from '@nestjs/common';
import type { AuthUser, ExperimentPermission, RegisteredModelPermission, ResourceType } from '@cairn/contracts';
import { AccessRules, accessOf } from '@cairn/platform';
import type { FastifyRequest } from 'fastify';
import { IdentityService } from '../application/identity.service';
import { MLFLOW_AUTH_ACCESS } from './mlflow-auth.access';

type Params = Record<string, unknown>;

/**
 * MLflow's basic-auth REST API (mlflow/server/auth: users, experiment and registered-model
 * permissions, and 3.x's unified grant/revoke/get), so `mlflow.server.get_app_client("basic-auth")`
 * manages Cairn's users unchanged. Parameters come from the body or the query, as MLflow reads them.
 */
@Controller(['api/2.0/mlflow', 'ajax-api/2.0/mlflow', 'api/3.0/mlflow', 'ajax-api/3.0/mlflow'])
@AccessRules(MLFLOW_AUTH_ACCESS)
export class MlflowAuthController {
  constructor(@Inject(IdentityService) private readonly identity: IdentityService) {}

  @Post('users/create')
  @HttpCode(200)
  async createUser(@Body() b: Params): Promise<{ user: AuthUser }> {
    return { user: await this.identity.createUser(b?.['username'], b?.['password']) };
  }

  @Get('users/get')
  async getUser(@Query() q: Params, @Req() req: FastifyRequest): Promise<{ user: AuthUser }> {
    return { user: await this.identity.getUser(accessOf(req).principal, q['username']) };
  }

  @Get('users/current')
  currentUser(@Req() req: FastifyRequest) {
    return this.identity.currentUser(accessOf(req).principal);
  }

  @Get('users/current/permissions')
  currentUserPermissions(@Req() req: FastifyRequest) {
    return this.identity.currentUserPermissions(accessOf(req).principal);
  }

  @Get('users/list')
  async listUsers() {
    return { users: await this.identity.listUsers() };
  }

  @Patch('users/update-password')
  async updatePassword(@Body() b: Params, @Req() req: FastifyRequest) {
    await this.identity.updatePassword(accessOf(req).principal, b?.['username'], b?.['password'], b?.['current_password']);
    return {};
  }

  @Patch('users/update-admin')
  async updateAdmin(@Body() b: Params) {
    await this.identity.updateAdmin(b?.['username'], b?.['is_admin']);
    return {};
  }

  @Delete('users/delete')
  async deleteUser(@Body() b: Params, @Query() q: Params, @Req() req: FastifyRequest) {
    await this.identity.deleteUser(accessOf(req).principal, b?.['username'] ?? q['username']);
    return {};
  }

  // ---- MLflow 2.x: experiment permissions ----------------------------------------------------

  @Post('experiments/permissions/create')
  @HttpCode(200)
  async createExperimentPermission(@Body() b: Params): Promise<{ experiment_permission: ExperimentPermission }> {
    const grant = await this.identity.createGrant('experiment', b?.['experiment_id'], b?.['username'], b?.['permission']);
    return { experiment_permission: { experiment_id: grant.resourceId, user_id: grant.userId, permission: grant.permission } };
  }

  @Get('experiments/permissions/get')
  async getExperimentPermission(@Query() q: Params): Promise<{ experiment_permission: ExperimentPermission }> {
    const grant = await this.identity.getGrant('experiment', q['experiment_id'], q['username']);
    return { experiment_permission: { experiment_id: grant.resourceId, user_id: grant.userId, permission: grant.permission } };
  }

  @Patch('experiments/permissions/update')
  async updateExperimentPermission(@Body() b: Params) {
    await this.identity.updateGrant('experiment', b?.['experiment_id'], b?.['username'], b?.['permission']);
    return {};
  }

  @Delete('experiments/permissions/delete')
  async deleteExperimentPermission(@Body() b: Params, @Query() q: Params) {
    await this.identity.deleteGrant('experiment', b?.['experiment_id'] ?? q['experiment_id'], b?.['username'] ?? q['username']);
    return {};
  }

  // ---- MLflow 2.x: registered-model permissions ----------------------------------------------

  @Post('registered-models/permissions/create')
  @HttpCode(200)
  async createRegisteredModelPermission(@Body() b: Params): Promise<{ registered_model_permission: RegisteredModelPermission }> {
    const grant = await this.identity.createGrant('registered_model', b?.['name'], b?.['username'], b?.['permission']);
    return { registered_model_permission: { name: grant.resourceId, user_id: grant.userId, permission: grant.permission } };
  }

  @Get('registered-models/permissions/get')
  async getRegisteredModelPermission(@Query() q: Params): Promise<{ registered_model_permission: RegisteredModelPermission }> {
    const grant = await this.identity.getGrant('registered_model', q['name'], q['username']);
    return { registered_model_permission: { name: grant.resourceId, user_id: grant.userId, permission: grant.permission } };
  }

  @Patch('registered-models/permissions/update')
  async updateRegisteredModelPermission(@Body() b: Params) {
    await this.identity.updateGrant('registered_model', b?.['name'], b?.['username'], b?.['permission']);
    return {};
  }

  @Delete('registered-models/permissions/delete')
  async deleteRegisteredModelPermission(@Body() b: Params, @Query() q: Params) {
    await this.identity.deleteGrant('registered_model', b?.['name'] ?? q['name'], b?.['username'] ?? q['username']);
    return {};
  }

  // ---- MLflow 3.x: unified per-user grants ---------------------------------------------------

  @Post('users/permissions/grant')
  @HttpCode(200)
  async grantUserPermission(@Body() b: Params) {
    await this.identity.grant(b?.['resource_type'], b?.['resource_id'], b?.['username'], b?.['permission']);
    return {};
  }

  @Post('users/permissions/revoke')
  @HttpCode(200)
  async revokeUserPermission(@Body() b: Params) {
    await this.identity.revoke(b?.['resource_type'], b?.['resource_id'], b?.['username']);
    return {};
  }

  @Get('users/permissions/get')
  async getUserPermission(@Query() q: Params) {
    return this.identity.effective(q['resource_type'] as ResourceType, q['resource_id'], q['username']);
  }
}
