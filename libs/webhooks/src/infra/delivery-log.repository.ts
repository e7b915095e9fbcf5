import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, Database, type CairnConfig, type Sql } from '@cairn/platform';
import type { AttemptRecord, DeliveryRecord } from '../application/views';
import type { WebhookEventName } from '../domain/webhook-events';
import { SecretBox } from './secret-box';
import * as q from './sql';

export interface ClaimedDelivery {
  deliveryId: string;
  webhookId: string;
  attempt: number;
  body: string;
  eventTime: Date;
  url: string;
  secret: string | null;
}

export interface SettleInput {
  claimed: ClaimedDelivery;
  attempt: AttemptRecord;
  /** The delivery's next state: PENDING (retry after `delayMs`), SUCCEEDED or FAILED. */
  next: { status: 'PENDING'; delayMs: number } | { status: 'SUCCEEDED' } | { status: 'FAILED' };
  lastError: string | null;
}

const deliveryOf = (r: Record<string, unknown>): DeliveryRecord => ({
  deliveryId: r['delivery_id'] as string,
  webhookId: r['webhook_id'] as string,
  eventId: r['event_id'] as string,
  entity: r['entity'] as string,
  action: r['action'] as string,
  status: r['status'] as DeliveryRecord['status'],
  attempts: r['attempts'] as number,
  body: r['body'] as string,
  createdAt: r['created_at'] as Date,
  nextAttemptAt: r['next_attempt_at'] as Date | null,
  completedAt: r['completed_at'] as Date | null,
  lastStatusCode: r['last_status_code'] as number | null,
  lastError: r['last_error'] as string | null,
  redeliveryOf: r['redelivery_of'] as string | null,
  sequence: String(r['sequence']),
});

/** The delivery log: recorded in the consumer's transaction, worked by the dispatcher with `pg`. */
@Injectable()
export class DeliveryLogRepository {
  private readonly secrets: SecretBox;

  constructor(
    @Inject(Database) private readonly database: Database,
    @Inject(CONFIG) config: CairnConfig,
  ) {
    this.secrets = new SecretBox(config.webhooks.secretKey);
  }

  /** In the consuming transaction: one PENDING delivery per subscribed ACTIVE endpoint. */
  async record(tx: Sql, input: { eventId: string; event: WebhookEventName; orderingKey: string; body: string; eventTime: string }): Promise<number> {
    const [entity, action] = input.event.split('.');
    const result = await tx.query(q.RECORD_DELIVERIES, [input.eventId, entity, action, input.orderingKey, input.body, input.eventTime, input.event]);
    if ((result.rowCount ?? 0) > 0) await tx.query(q.NOTIFY_DISPATCHER);
    return result.rowCount ?? 0;
  }

  async claim(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const { rows } = await this.database.query(q.CLAIM_DUE, [limit, leaseMs]);
    return rows.map((r) => ({
      deliveryId: r['delivery_id'] as string,
      webhookId: r['webhook_id'] as string,
      attempt: r['attempts'] as number,
      body: r['body'] as string,
      eventTime: r['event_time'] as Date,
      url: r['url'] as string,
      secret: this.secrets.open(r['secret'] as string | null),
    }));
  }

  async nextDue(): Promise<Date | null> {
    const { rows } = await this.database.query<{ next_due: Date | null }>(q.NEXT_DUE);
    return rows[0]?.next_due ?? null;
  }

  /**
   * Records the attempt and the delivery's next state, and keeps the endpoint's failure count.
   * Returns false when this dispatcher no longer held the delivery (its lease was taken over).
   * `disableReason` is asked for with the new consecutive-failure count after a final failure.
   */
  async settle(input: SettleInput, disableReason: (consecutiveFailures: number) => string | undefined, now: number): Promise<boolean> {
    return this.database.transaction(async (tx) => {
      const { claimed, attempt, next } = input;
      const endpoint = await tx.query(q.LOCK_ENDPOINT, [claimed.webhookId]);
      if (endpoint.rowCount !== 1) return false; // the webhook was deleted meanwhile, its log with it
      const updated = await tx.query(q.SETTLE_DELIVERY, [
        claimed.deliveryId,
        claimed.attempt,
        next.status,
        next.status === 'PENDING' ? next.delayMs : null,
        attempt.statusCode,
        input.lastError,
      ]);
      if (updated.rowCount !== 1) return false;
      await tx.query(q.INSERT_ATTEMPT, [
        claimed.deliveryId,
        attempt.attempt,
        attempt.startedAt,
        attempt.durationMs,
        attempt.statusCode,
        attempt.error,
        attempt.responseBody,
        attempt.outcome,
      ]);
      if (next.status === 'SUCCEEDED') await tx.query(q.ENDPOINT_SUCCEEDED, [claimed.webhookId]);
      if (next.status === 'FAILED') {
        const { rows } = await tx.query<{ consecutive_failures: number }>(q.ENDPOINT_FAILED, [claimed.webhookId]);
        const reason = disableReason(rows[0]?.consecutive_failures ?? 0);
        if (reason !== undefined) await tx.query(q.DISABLE_ENDPOINT, [claimed.webhookId, reason, now]);
      }
      return true;
    });
  }

  async list(filter: {
    webhookId?: string | undefined;
    status?: string | undefined;
    beforeSequence?: string | undefined;
    limit: number;
  }): Promise<DeliveryRecord[]> {
    const { rows } = await this.database.query(q.LIST_DELIVERIES, [
      filter.webhookId ?? null,
      filter.status ?? null,
      filter.beforeSequence ?? null,
      filter.limit,
    ]);
    return rows.map(deliveryOf);
  }

  async get(deliveryId: string): Promise<DeliveryRecord | undefined> {
    const { rows } = await this.database.query(q.GET_DELIVERY, [deliveryId]);
    return rows[0] ? deliveryOf(rows[0]) : undefined;
  }

  async attempts(deliveryId: string): Promise<AttemptRecord[]> {
    const { rows } = await this.database.query(q.LIST_ATTEMPTS, [deliveryId]);
    return rows.map((r) => ({
      attempt: r['attempt'] as number,
      startedAt: r['started_at'] as Date,
      durationMs: r['duration_ms'] as number,
      statusCode: r['status_code'] as number | null,
      error: r['error'] as string | null,
      responseBody: r['response_body'] as string | null,
      outcome: r['outcome'] as AttemptRecord['outcome'],
    }));
  }

  /** Failed/cancelled → the same delivery again (same id); succeeded → a new delivery; else undefined. */
  async redeliver(delivery: DeliveryRecord): Promise<string | undefined> {
    return this.database.transaction(async (tx) => {
      const sql = delivery.status === 'SUCCEEDED' ? q.COPY_DELIVERY : q.REOPEN_DELIVERY;
      const { rows } = await tx.query<{ delivery_id: string }>(sql, [delivery.deliveryId]);
      if (rows[0]) await tx.query(q.NOTIFY_DISPATCHER);
      return rows[0]?.delivery_id;
    });
  }
}
