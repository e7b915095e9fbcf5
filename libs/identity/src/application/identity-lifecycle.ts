import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CONFIG, Database, NoticeListener, type CairnConfig } from '@cairn/platform';
import { mintToken } from '../domain/credentials';
import { IDENTITY_CHANGES_CHANNEL } from '../infra/prisma-identity-store';
import { hashPassword } from '../infra/passwords';
import { AccessControl } from './access-control';
import { IDENTITY_STORE, type IdentityStore } from './identity-store';

/** How long the one-time bootstrap token printed at first start stays valid. */
const BOOTSTRAP_TOKEN_TTL_MS = 24 * 3600 * 1000;
const BOOTSTRAP_TOKEN_NAME = 'bootstrap';

/**
 * Start-up of the identity context in every process: listen for identity changes (caches are
 * dropped on each), and make sure a first admin exists — from CAIRN_ADMIN_PASSWORD if given, else
 * a one-time admin token printed once (there is no default password).
 */
@Injectable()
export class IdentityLifecycle implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('identity');
  private listener: NoticeListener | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: CairnConfig,
    @Inject(Database) private readonly database: Database,
    @Inject(IDENTITY_STORE) private readonly store: IdentityStore,
    @Inject(AccessControl) private readonly access: AccessControl,
  ) {}

  async onModuleInit(): Promise<void> {
    const { auth } = this.config;
    if (auth.mode === 'none') {
      if (auth.openOnNetwork) this.logger.warn(`CAIRN_AUTH=none on ${this.config.host}: anyone who can reach this server can do anything`);
      return;
    }
    this.listener = new NoticeListener(
      this.database.url,
      IDENTITY_CHANGES_CHANNEL,
      () => this.access.invalidate(),
      (message) => this.logger.warn(message),
    );
    const listener = this.listener;
    this.access.listening = () => listener.healthy;
    await listener.start();
    await this.ensureFirstAdmin();
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener?.stop();
  }

  private async ensureFirstAdmin(): Promise<void> {
    const { adminUsername, adminPassword } = this.config.auth;
    const existing = await this.store.findUser(adminUsername);
    if (existing) {
      if (!existing.isAdmin || existing.source !== 'local') {
        this.logger.warn(`CAIRN_ADMIN_USERNAME '${adminUsername}' names a user who is not a local admin: not touched`);
        return;
      }
      if (existing.passwordHash !== null) return;
      if (adminPassword !== undefined) {
        await this.store.updatePassword(existing.id, await hashPassword(adminPassword));
        this.logger.log(`admin '${adminUsername}': password set from CAIRN_ADMIN_PASSWORD`);
        return;
      }
      // No password and no live bootstrap token (a first start that stopped between creating the
      // admin and its token, or a token that expired unused): print a new one.
      const now = Date.now();
      const live = (await this.store.listTokens(existing.id)).some(
        (t) => t.name === BOOTSTRAP_TOKEN_NAME && t.revokedAt === null && (t.expiresAt === null || t.expiresAt.getTime() > now),
      );
      if (!live) await this.printBootstrapToken(existing.id, adminUsername);
      return;
    }
    const passwordHash = adminPassword === undefined ? null : await hashPassword(adminPassword);
    // Several replicas start together: only the one whose insert wins prints a bootstrap token.
    const created = await this.store.createUser({ username: adminUsername, passwordHash, isAdmin: true, source: 'local' });
    if (!created) return;
    if (adminPassword !== undefined) {
      this.logger.log(`admin '${adminUsername}' created from CAIRN_ADMIN_PASSWORD`);
      return;
    }
    await this.printBootstrapToken(created.id, adminUsername);
  }

  private async printBootstrapToken(userId: number, adminUsername: string): Promise<void> {
    const tokenId = randomUUID();
    const minted = mintToken(tokenId);
    await this.store.createToken({
      tokenId,
      userId,
      name: BOOTSTRAP_TOKEN_NAME,
      secretSha256: minted.secretSha256,
      scopes: [],
      servingOnly: false,
      isAdmin: true,
      expiresAt: new Date(Date.now() + BOOTSTRAP_TOKEN_TTL_MS),
    });
    // Printed once, to the operator's console only (it is not an event, not a metric).
    process.stderr.write(
      `\nCairn: no CAIRN_ADMIN_PASSWORD was given, so admin '${adminUsername}' has no password yet.\n` +
        `One-time admin token (valid 24 hours, shown only now):\n\n  ${minted.token}\n\n` +
        `Set a password with it:  curl -X PATCH -H 'Authorization: Bearer <token>' <server>/api/2.0/mlflow/users/update-password ` +
        `-d '{"username": "${adminUsername}", "password": "..."}'\n\n`,
    );
  }
}
