import { type CallHandler, type ExecutionContext, Inject, Injectable, Logger, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { accessOf } from '@cairn/platform';
import type { FastifyRequest } from 'fastify';
import { from, mergeMap, type Observable } from 'rxjs';
import { AccessControl } from '../application/access-control';
import { IDENTITY_STORE, type IdentityStore } from '../application/identity-store';
import { accessEntryOf, accessRequestOf } from './access.guard';

/**
 * After a successful call, applies what it changes about grants, before the response leaves: the
 * creator of an experiment or registered model gets MANAGE on it (so the next request — the client
 * creating a run in it — is allowed on every replica), a renamed model keeps its grants, a deleted
 * model's grants go with it.
 */
@Injectable()
export class GrantEffectsInterceptor implements NestInterceptor {
  private readonly logger = new Logger('identity');

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AccessControl) private readonly access: AccessControl,
    @Inject(IDENTITY_STORE) private readonly store: IdentityStore,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const entry = accessEntryOf(this.reflector, context);
    // Most routes change no grants: they pass straight through (this runs on every request).
    const effect = entry?.kind === 'resource' ? entry.effect : undefined;
    const creates = entry?.kind === 'authenticated' ? entry.creates : undefined;
    if (!this.access.enabled || (effect === undefined && creates === undefined)) return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const accessRequest = accessRequestOf(request);
    // Read before the handler runs: handlers may consume or replace what they were given.
    const renamed = effect?.kind === 'rename' ? { from: effect.from(accessRequest), to: effect.to(accessRequest) } : undefined;
    const deleted = effect?.kind === 'delete' ? effect.id(accessRequest) : undefined;
    return next.handle().pipe(
      mergeMap((result) =>
        from(
          (async () => {
            if (creates !== undefined) {
              const principal = accessOf(request).principal;
              const id = creates.idOf(result);
              if (id !== undefined && principal.userId !== undefined) {
                await this.store.putUserGrant(principal.userId, { resourceType: creates.type, resourceId: id, permission: 'MANAGE' });
                this.access.invalidate();
              }
            }
            if (effect?.kind === 'rename' && renamed?.from !== undefined && renamed.to !== undefined) {
              await this.store.renameResource(effect.type, renamed.from, renamed.to);
              this.access.invalidate();
            }
            if (effect?.kind === 'delete' && deleted !== undefined) {
              await this.store.deleteResourceGrants(effect.type, deleted);
              this.access.invalidate();
            }
            return result;
          })().catch((error: Error) => {
            this.logger.error(`grant bookkeeping failed after ${request.method} ${request.url}: ${error.message}`);
            throw error;
          }),
        ),
      ),
    );
  }
}
