import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import { AccessRules, accessOf } from '@cairn/platform';
import type { FastifyRequest } from 'fastify';
import { IdentityService } from '../application/identity.service';
import { TOKENS_ACCESS } from './tokens.access';

type Params = Record<string, unknown>;

/**
 * Machine tokens (`cairn tokens create|list|revoke`): scoped, expiring, revocable bearer secrets for
 * CI pipelines and serving pods. The secret is in the create response only.
 */
@Controller(['api/2.0/cairn/tokens', 'ajax-api/2.0/cairn/tokens'])
@AccessRules(TOKENS_ACCESS)
export class TokensController {
  constructor(@Inject(IdentityService) private readonly identity: IdentityService) {}

  @Post('create')
  @HttpCode(200)
  create(@Body() b: Params, @Req() req: FastifyRequest) {
    return this.identity.createToken(accessOf(req).principal, {
      name: b?.['name'],
      username: b?.['username'],
      scopes: b?.['scopes'],
      serving_only: b?.['serving_only'],
      admin: b?.['admin'],
      expires_in_days: b?.['expires_in_days'],
    });
  }

  @Get('list')
  async list(@Query() q: Params, @Req() req: FastifyRequest) {
    return { tokens: await this.identity.listTokens(accessOf(req).principal, q['username']) };
  }

  @Post('revoke')
  @HttpCode(200)
  async revoke(@Body() b: Params, @Req() req: FastifyRequest) {
    await this.identity.revokeToken(accessOf(req).principal, b?.['token_id']);
    return {};
  }
}
