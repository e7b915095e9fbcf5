import { Inject, Injectable } from '@nestjs/common';
import { isPermission, type ResourceType, type TokenScope } from '@cairn/contracts';
import { createPrismaClient, Database, type PrismaClient } from '@cairn/platform';
import type {
  GrantRecord,
  IdentityStore,
  LoginRequestRecord,
  NewSession,
  NewToken,
  SessionRecord,
  TokenRecord,
  UserRecord,
} from '../application/identity-store';

/** The NOTIFY channel every replica LISTENs on to drop its cached principals and grants. */
export const IDENTITY_CHANGES_CHANNEL = 'cairn_identity';

type UserRow = Awaited<ReturnType<PrismaClient['identityUser']['findUniqueOrThrow']>>;
type TokenRow = Awaited<ReturnType<PrismaClient['identityToken']['findUniqueOrThrow']>> & { user: UserRow };

const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  username: row.username,
  passwordHash: row.passwordHash,
  isAdmin: row.isAdmin,
  source: row.source === 'oidc' ? 'oidc' : 'local',
});

const toGrant = (row: { resourceType: string; resourceId: string; permission: string }): GrantRecord => ({
  resourceType: row.resourceType as ResourceType,
  resourceId: row.resourceId,
  permission: isPermission(row.permission) ? row.permission : 'NO_PERMISSIONS',
});

const toToken = (row: TokenRow): TokenRecord => ({
  tokenId: row.tokenId,
  userId: row.userId,
  username: row.user.username,
  ownerIsAdmin: row.user.isAdmin,
  name: row.name,
  secretSha256: row.secretSha256,
  scopes: row.scopes as unknown as TokenScope[],
  servingOnly: row.servingOnly,
  isAdmin: row.isAdmin,
  createdAt: row.createdAt,
  expiresAt: row.expiresAt,
  revokedAt: row.revokedAt,
  lastUsedAt: row.lastUsedAt,
});

/**
 * Identity's tables through Prisma (ordinary CRUD, STYLE.md). Each write commits together with a
 * NOTIFY on `cairn_identity`, so a revoked token or a changed grant reaches every replica's cache
 * the moment it is committed (IdentityLifecycle listens, through platform's NoticeListener).
 */
@Injectable()
export class PrismaIdentityStore implements IdentityStore {
  private readonly prisma: PrismaClient;

  constructor(@Inject(Database) database: Database) {
    this.prisma = createPrismaClient(database);
  }

  private announce() {
    return this.prisma.$executeRaw`SELECT pg_notify(${IDENTITY_CHANGES_CHANNEL}, '')`;
  }

  async findUser(username: string): Promise<UserRecord | undefined> {
    const row = await this.prisma.identityUser.findUnique({ where: { username } });
    return row ? toUser(row) : undefined;
  }

  async findUserById(id: number): Promise<UserRecord | undefined> {
    const row = await this.prisma.identityUser.findUnique({ where: { id } });
    return row ? toUser(row) : undefined;
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await this.prisma.identityUser.findMany({ orderBy: { id: 'asc' } })).map(toUser);
  }

  async createUser(user: { username: string; passwordHash: string | null; isAdmin: boolean; source: 'local' | 'oidc' }): Promise<UserRecord | undefined> {
    // ON CONFLICT DO NOTHING: two replicas bootstrapping the same admin, or two sign-ins of one new
    // OIDC user, must not fail; the loser learns the name was taken.
    const rows = await this.prisma.$queryRaw<UserRow[]>`
      INSERT INTO identity.users (username, password_hash, is_admin, source)
      VALUES (${user.username}, ${user.passwordHash}, ${user.isAdmin}, ${user.source})
      ON CONFLICT (username) DO NOTHING
      RETURNING id, username, password_hash AS "passwordHash", is_admin AS "isAdmin", source, created_at AS "createdAt"`;
    await this.announce();
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  async updatePassword(userId: number, passwordHash: string): Promise<void> {
    await this.prisma.$transaction([this.prisma.identityUser.update({ where: { id: userId }, data: { passwordHash } }), this.announce()]);
  }

  async updateAdmin(userId: number, isAdmin: boolean): Promise<void> {
    await this.prisma.$transaction([this.prisma.identityUser.update({ where: { id: userId }, data: { isAdmin } }), this.announce()]);
  }

  async deleteUser(userId: number): Promise<void> {
    await this.prisma.$transaction([this.prisma.identityUser.delete({ where: { id: userId } }), this.announce()]);
  }

  async userGrants(userId: number): Promise<GrantRecord[]> {
    return (await this.prisma.identityUserGrant.findMany({ where: { userId } })).map(toGrant);
  }

  async groupGrants(groups: readonly string[]): Promise<Map<string, GrantRecord[]>> {
    const byGroup = new Map<string, GrantRecord[]>(groups.map((g) => [g, []]));
    if (groups.length === 0) return byGroup;
    for (const row of await this.prisma.identityGroupGrant.findMany({ where: { groupName: { in: [...groups] } } })) {
      byGroup.get(row.groupName)?.push(toGrant(row));
    }
    return byGroup;
  }

  async getUserGrant(userId: number, type: ResourceType, id: string): Promise<GrantRecord | undefined> {
    const row = await this.prisma.identityUserGrant.findUnique({ where: { userId_resourceType_resourceId: { userId, resourceType: type, resourceId: id } } });
    return row ? toGrant(row) : undefined;
  }

  async putUserGrant(userId: number, grant: GrantRecord): Promise<void> {
    const key = { userId, resourceType: grant.resourceType, resourceId: grant.resourceId };
    await this.prisma.$transaction([
      this.prisma.identityUserGrant.upsert({
        where: { userId_resourceType_resourceId: key },
        create: { ...key, permission: grant.permission },
        update: { permission: grant.permission },
      }),
      this.announce(),
    ]);
  }

  async deleteUserGrant(userId: number, type: ResourceType, id: string): Promise<boolean> {
    const [deleted] = await this.prisma.$transaction([
      this.prisma.identityUserGrant.deleteMany({ where: { userId, resourceType: type, resourceId: id } }),
      this.announce(),
    ]);
    return deleted.count > 0;
  }

  async putGroupGrant(group: string, grant: GrantRecord): Promise<void> {
    const key = { groupName: group, resourceType: grant.resourceType, resourceId: grant.resourceId };
    await this.prisma.$transaction([
      this.prisma.identityGroupGrant.upsert({
        where: { groupName_resourceType_resourceId: key },
        create: { ...key, permission: grant.permission },
        update: { permission: grant.permission },
      }),
      this.announce(),
    ]);
  }

  async deleteGroupGrant(group: string, type: ResourceType, id: string): Promise<boolean> {
    const [deleted] = await this.prisma.$transaction([
      this.prisma.identityGroupGrant.deleteMany({ where: { groupName: group, resourceType: type, resourceId: id } }),
      this.announce(),
    ]);
    return deleted.count > 0;
  }

  async renameResource(type: ResourceType, from: string, to: string): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.identityUserGrant.updateMany({ where: { resourceType: type, resourceId: from }, data: { resourceId: to } }),
      this.prisma.identityGroupGrant.updateMany({ where: { resourceType: type, resourceId: from }, data: { resourceId: to } }),
      this.announce(),
    ]);
  }

  async deleteResourceGrants(type: ResourceType, id: string): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.identityUserGrant.deleteMany({ where: { resourceType: type, resourceId: id } }),
      this.prisma.identityGroupGrant.deleteMany({ where: { resourceType: type, resourceId: id } }),
      this.announce(),
    ]);
  }

  async createToken(token: NewToken): Promise<TokenRecord> {
    // A new token changes nobody's cached principal (nobody presented it yet): no announcement needed.
    const row = await this.prisma.identityToken.create({
      data: {
        tokenId: token.tokenId,
        userId: token.userId,
        name: token.name,
        secretSha256: new Uint8Array(token.secretSha256),
        scopes: token.scopes as unknown as object[],
        servingOnly: token.servingOnly,
        isAdmin: token.isAdmin,
        expiresAt: token.expiresAt,
      },
      include: { user: true },
    });
    return toToken(row);
  }

  async findToken(tokenId: string): Promise<TokenRecord | undefined> {
    const row = await this.prisma.identityToken.findUnique({ where: { tokenId }, include: { user: true } });
    return row ? toToken(row) : undefined;
  }

  async listTokens(userId: number | undefined): Promise<TokenRecord[]> {
    const rows = await this.prisma.identityToken.findMany({
      where: userId === undefined ? {} : { userId },
      include: { user: true },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(toToken);
  }

  async revokeToken(tokenId: string, at: Date): Promise<boolean> {
    const [updated] = await this.prisma.$transaction([
      this.prisma.identityToken.updateMany({ where: { tokenId, revokedAt: null }, data: { revokedAt: at } }),
      this.announce(),
    ]);
    return updated.count > 0;
  }

  async touchToken(tokenId: string, at: Date): Promise<void> {
    // Not announced: when a token was last used changes nobody's permissions.
    await this.prisma.identityToken.updateMany({ where: { tokenId }, data: { lastUsedAt: at } });
  }

  async findSession(sessionSha256: Buffer, now: Date): Promise<SessionRecord | undefined> {
    const row = await this.prisma.identitySession.findFirst({
      where: { sessionSha256: new Uint8Array(sessionSha256), expiresAt: { gt: now } },
      include: { user: true },
    });
    if (!row) return undefined;
    return {
      userId: row.userId,
      username: row.user.username,
      isAdmin: row.user.isAdmin,
      csrfToken: row.csrfToken,
      groups: row.groups,
      expiresAt: row.expiresAt,
    };
  }

  async createLoginRequest(request: LoginRequestRecord): Promise<void> {
    await this.prisma.identityLoginRequest.create({ data: request });
  }

  async takeLoginRequest(state: string, now: Date): Promise<LoginRequestRecord | undefined> {
    // DELETE … RETURNING: of two callbacks racing with one state, only one gets the row.
    const rows = await this.prisma.$queryRaw<LoginRequestRecord[]>`
      DELETE FROM identity.login_requests WHERE state = ${state}
      RETURNING state, code_verifier AS "codeVerifier", nonce, return_to AS "returnTo", expires_at AS "expiresAt"`;
    const request = rows[0];
    return request && request.expiresAt > now ? request : undefined;
  }

  async createSession(session: NewSession): Promise<void> {
    // Not announced: sessions are looked up on every request, never cached.
    await this.prisma.identitySession.create({ data: { ...session, sessionSha256: new Uint8Array(session.sessionSha256) } });
  }

  async deleteSession(sessionSha256: Buffer): Promise<void> {
    await this.prisma.identitySession.deleteMany({ where: { sessionSha256: new Uint8Array(sessionSha256) } });
  }

  async pruneExpired(now: Date): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.identitySession.deleteMany({ where: { expiresAt: { lte: now } } }),
      this.prisma.identityLoginRequest.deleteMany({ where: { expiresAt: { lte: now } } }),
    ]);
  }
}
