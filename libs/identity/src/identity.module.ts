import { Global, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ACCESS_GATE, CONFIG, type CairnConfig } from '@cairn/platform';
import { AccessGuard } from './api/access.guard';
import { GrantEffectsInterceptor } from './api/grant-effects.interceptor';
import { MlflowAuthController } from './api/mlflow-auth.controller';
import { SignInController } from './api/sign-in.controller';
import { TokensController } from './api/tokens.controller';
import { AccessControl } from './application/access-control';
import { IdentityLifecycle } from './application/identity-lifecycle';
import { IDENTITY_STORE, type IdentityStore } from './application/identity-store';
import { OIDC_SIGN_IN, OIDC_VERIFIER, type OidcVerifier } from './application/oidc-verifier';
import { IdentityService } from './application/identity.service';
import { SignInService } from './application/sign-in.service';
import { JoseOidcVerifier } from './infra/jose-oidc-verifier';
import { PrismaIdentityStore } from './infra/prisma-identity-store';

/** One OIDC client per process when CAIRN_AUTH=oidc (bearer checks and browser sign-in share its key cache); none otherwise. */
const oidcClient = (config: CairnConfig) =>
  config.auth.mode === 'oidc' && config.auth.oidc !== undefined ? new JoseOidcVerifier(config.auth.oidc) : undefined;

/**
 * Identity and access for one process: the global guard every route passes, the grant bookkeeping
 * after creations, MLflow's auth API, Cairn's tokens, and (CAIRN_AUTH=oidc) OIDC bearer checks and
 * the web UI's browser sign-in. The runtime imports it into every service,
 * so no service (and no route) can be served without it.
 */
@Global()
@Module({
  controllers: [MlflowAuthController, TokensController, SignInController],
  providers: [
    { provide: IDENTITY_STORE, useClass: PrismaIdentityStore },
    { provide: JoseOidcVerifier, useFactory: oidcClient, inject: [CONFIG] },
    { provide: OIDC_VERIFIER, useExisting: JoseOidcVerifier },
    { provide: OIDC_SIGN_IN, useExisting: JoseOidcVerifier },
    {
      provide: AccessControl,
      useFactory: (store: IdentityStore, config: CairnConfig, oidc: OidcVerifier | undefined) => new AccessControl(store, config, oidc),
      inject: [IDENTITY_STORE, CONFIG, { token: OIDC_VERIFIER, optional: true }],
    },
    IdentityService,
    SignInService,
    IdentityLifecycle,
    AccessGuard,
    { provide: APP_GUARD, useExisting: AccessGuard },
    { provide: ACCESS_GATE, useExisting: AccessGuard },
    { provide: APP_INTERCEPTOR, useClass: GrantEffectsInterceptor },
  ],
  exports: [AccessControl, IDENTITY_STORE, ACCESS_GATE],
})
export class IdentityModule {}
