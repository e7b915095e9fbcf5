import { Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { CONFIG, type CairnConfig } from '@cairn/platform';
import { AccessGuard } from './api/access.guard';
import { GrantEffectsInterceptor } from './api/grant-effects.interceptor';
import { MlflowAuthController } from './api/mlflow-auth.controller';
import { TokensController } from './api/tokens.controller';
import { AccessControl } from './application/access-control';
import { IdentityLifecycle } from './application/identity-lifecycle';
import { IDENTITY_STORE, type IdentityStore } from './application/identity-store';
import { OIDC_VERIFIER, type OidcVerifier } from './application/oidc-verifier';
import { IdentityService } from './application/identity.service';
import { PrismaIdentityStore } from './infra/prisma-identity-store';

/**
 * Identity and access for one process: the global guard every route passes, the grant bookkeeping
 * after creations, MLflow's auth API and Cairn's tokens. The runtime imports it into every service,
 * so no service (and no route) can be served without it.
 */
@Module({
  controllers: [MlflowAuthController, TokensController],
  providers: [
    { provide: IDENTITY_STORE, useClass: PrismaIdentityStore },
    {
      provide: AccessControl,
      useFactory: (store: IdentityStore, config: CairnConfig, oidc: OidcVerifier | undefined) => new AccessControl(store, config, oidc),
      inject: [IDENTITY_STORE, CONFIG, { token: OIDC_VERIFIER, optional: true }],
    },
    IdentityService,
    IdentityLifecycle,
    { provide: APP_GUARD, useClass: AccessGuard },
    { provide: APP_INTERCEPTOR, useClass: GrantEffectsInterceptor },
  ],
  exports: [AccessControl, IDENTITY_STORE],
})
export class IdentityModule {}
