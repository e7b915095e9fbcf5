import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, createPrismaClient, Database, type CairnConfig, type PrismaClient } from '@cairn/platform';
import type { EndpointChanges, WebhookEndpoint } from '../application/views';
import type { WebhookEventName } from '../domain/webhook-events';
import { SecretBox } from './secret-box';

type Row = Awaited<ReturnType<PrismaClient['webhookEndpoint']['findUniqueOrThrow']>>;

const toEndpoint = (row: Row, secrets: SecretBox): WebhookEndpoint => ({
  webhookId: row.webhookId,
  name: row.name,
  description: row.description,
  url: row.url,
  events: row.events as WebhookEventName[],
  secret: secrets.open(row.secret),
  status: row.status as WebhookEndpoint['status'],
  disabledReason: row.disabledReason,
  consecutiveFailures: row.consecutiveFailures,
  lastSuccessAt: row.lastSuccessAt,
  creationTimestamp: Number(row.creationTimestamp),
  lastUpdatedTimestamp: Number(row.lastUpdatedTimestamp),
});

/**
 * Webhook endpoints: ordinary CRUD on a small table, so it goes through Prisma (STYLE.md: Prisma for
 * ordinary read models, `pg` for hot paths — the delivery log is in delivery-log.repository.ts).
 */
@Injectable()
export class WebhookEndpointsRepository {
  private readonly prisma: PrismaClient;
  private readonly secrets: SecretBox;

  constructor(@Inject(Database) database: Database, @Inject(CONFIG) config: CairnConfig) {
    this.prisma = createPrismaClient(database);
    this.secrets = new SecretBox(config.webhooks.secretKey);
  }

  async create(endpoint: Omit<WebhookEndpoint, 'disabledReason' | 'consecutiveFailures' | 'lastSuccessAt'>): Promise<WebhookEndpoint> {
    const row = await this.prisma.webhookEndpoint.create({
      data: {
        ...endpoint,
        secret: this.secrets.seal(endpoint.secret),
        creationTimestamp: BigInt(endpoint.creationTimestamp),
        lastUpdatedTimestamp: BigInt(endpoint.lastUpdatedTimestamp),
      },
    });
    return toEndpoint(row, this.secrets);
  }

  async get(webhookId: string): Promise<WebhookEndpoint | undefined> {
    const row = await this.prisma.webhookEndpoint.findUnique({ where: { webhookId } });
    return row ? toEndpoint(row, this.secrets) : undefined;
  }

  /** Oldest first (ids are uuid v7, so id order is creation order); `after` is the last id seen. */
  async list(limit: number, after: string | undefined): Promise<WebhookEndpoint[]> {
    const rows = await this.prisma.webhookEndpoint.findMany({
      where: after === undefined ? {} : { webhookId: { gt: after } },
      orderBy: { webhookId: 'asc' },
      take: limit,
    });
    return rows.map((row) => toEndpoint(row, this.secrets));
  }

  async update(webhookId: string, changes: EndpointChanges, now: number): Promise<WebhookEndpoint | undefined> {
    const data = { ...changes, ...(changes.secret !== undefined ? { secret: this.secrets.seal(changes.secret) } : {}), lastUpdatedTimestamp: BigInt(now) };
    const result = await this.prisma.webhookEndpoint.updateMany({ where: { webhookId }, data });
    return result.count === 0 ? undefined : this.get(webhookId);
  }

  /** Deletes the endpoint and, by cascade, its delivery log. */
  async delete(webhookId: string): Promise<boolean> {
    const result = await this.prisma.webhookEndpoint.deleteMany({ where: { webhookId } });
    return result.count > 0;
  }
}
