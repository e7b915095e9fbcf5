import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Wakeup } from '@cairn/eventing';
import { CONFIG, Database, MetricsRegistry, type CairnConfig } from '@cairn/platform';
import type { PoolClient } from 'pg';
import { Histogram, type Counter } from 'prom-client';
import { AddressPolicy } from '../domain/address-policy';
import { decideAfterAttempt, shouldDisableEndpoint, type RetrySchedule } from '../domain/delivery-policy';
import { signedHeaders } from '../domain/signature';
import { DeliveryLogRepository, type ClaimedDelivery } from '../infra/delivery-log.repository';
import { sendWebhook } from '../infra/http-sender';
import { DISPATCHER_CHANNEL } from '../infra/sql';

/** Deliveries sent at once; ordering holds anyway (only each model's oldest is ever claimed). */
const CONCURRENCY = 8;
/** Sleep bound when nothing is due: a NOTIFY or a due retry usually wakes us sooner. */
const IDLE_POLL_MS = 1000;
export const USER_AGENT = 'Cairn-Webhooks/1';

/**
 * Works the delivery log: claims due deliveries, sends each with both signatures, and records the
 * attempt and the next step (done, retry later, failed — and the endpoint's health) in one
 * transaction. Everything it knows is in Postgres, so a dispatcher killed mid-delivery loses
 * nothing: its lease runs out and the delivery is sent again under the same id. Several replicas
 * share the work through SKIP LOCKED.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('webhooks');
  private readonly wakeup = new Wakeup();
  private readonly schedule: RetrySchedule;
  private readonly policy: AddressPolicy;
  private readonly outcomes: Counter;
  private readonly latency: Histogram;
  private running: Promise<void> | undefined;
  private stopping = false;
  private listener: PoolClient | undefined;

  constructor(
    @Inject(DeliveryLogRepository) private readonly log: DeliveryLogRepository,
    @Inject(Database) private readonly database: Database,
    @Inject(CONFIG) private readonly config: CairnConfig,
    @Inject(MetricsRegistry) metrics: MetricsRegistry,
  ) {
    const w = config.webhooks;
    this.schedule = { baseMs: w.retryBaseMs, maxDelayMs: w.retryMaxDelayMs, windowMs: w.retryWindowS * 1000 };
    this.policy = new AddressPolicy(w.allowedHosts);
    this.outcomes = metrics.counter('cairn_webhook_delivery_attempts_total', 'Webhook delivery attempts by outcome', ['outcome']);
    this.latency = new Histogram({
      name: 'cairn_webhook_delivery_seconds',
      help: 'Webhook delivery attempt latency',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [metrics.registry],
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.listen();
    this.running = this.loop();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wakeup.wake();
    await this.running;
    this.listener?.release(true);
  }

  /** Something was recorded (in this process): look now rather than at the next poll. */
  wake(): void {
    this.wakeup.wake();
  }

  /**
   * Another process's consumer recorded deliveries: Postgres tells us on commit. Losing the LISTEN
   * connection only costs latency (the idle poll still finds the work); the loop listens again.
   */
  private async listen(): Promise<void> {
    try {
      const client = await this.database.session();
      client.on('notification', () => this.wakeup.wake());
      client.on('error', () => {
        if (this.listener === client) this.listener = undefined;
        client.release(true);
      });
      await client.query(`LISTEN ${DISPATCHER_CHANNEL}`);
      this.listener = client;
    } catch (error) {
      this.logger.warn(`webhook dispatcher could not LISTEN, polling only: ${(error as Error).message}`);
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let claimed = 0;
      try {
        claimed = await this.dispatchRound();
      } catch (error) {
        this.logger.error(`webhook dispatch round failed: ${(error as Error).message}`);
      }
      if (this.stopping) break;
      if (claimed > 0) continue;
      if (this.listener === undefined) await this.listen();
      await this.wakeup.wait(await this.idleWait());
    }
  }

  private async idleWait(): Promise<number> {
    try {
      const due = await this.log.nextDue();
      if (due === null) return IDLE_POLL_MS;
      return Math.max(0, Math.min(IDLE_POLL_MS, due.getTime() - Date.now()));
    } catch {
      return IDLE_POLL_MS;
    }
  }

  /** Claims what is due and delivers it; returns how many were claimed. */
  async dispatchRound(): Promise<number> {
    // An attempt never outlives its timeout, so a lease of twice that (plus settling time) is only
    // ever overrun by a dispatcher that died or stalled: then another one takes the delivery over.
    const leaseMs = 2 * this.config.webhooks.timeoutMs + 1000;
    const claimed = await this.log.claim(CONCURRENCY, leaseMs);
    await Promise.all(claimed.map((delivery) => this.deliver(delivery)));
    return claimed.length;
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const startedAt = new Date();
    const headers = signedHeaders({
      deliveryId: delivery.deliveryId,
      timestampSeconds: Math.floor(startedAt.getTime() / 1000),
      body: delivery.body,
      secret: delivery.secret,
    });
    const sent = await sendWebhook(delivery.url, headers, delivery.body, {
      timeoutMs: this.config.webhooks.timeoutMs,
      policy: this.policy,
      userAgent: USER_AGENT,
    });
    const now = Date.now();
    const decision = decideAfterAttempt({
      result: sent.result,
      attempt: delivery.attempt,
      eventTimeMs: delivery.eventTime.getTime(),
      nowMs: now,
      schedule: this.schedule,
      random: Math.random,
    });
    this.outcomes.inc({ outcome: decision.outcome });
    this.latency.observe(sent.durationMs / 1000);
    const statusCode = sent.result.kind === 'response' ? sent.result.statusCode : null;
    const error = sent.result.kind !== 'response' ? sent.result.message : decision.outcome === 'SUCCEEDED' ? null : `HTTP ${statusCode}`;
    const settled = await this.log.settle(
      {
        claimed: delivery,
        attempt: {
          attempt: delivery.attempt,
          startedAt,
          durationMs: sent.durationMs,
          statusCode,
          error,
          responseBody: sent.responseBody,
          outcome: decision.outcome,
        },
        next: decision.outcome === 'RETRY' ? { status: 'PENDING', delayMs: decision.delayMs } : { status: decision.outcome },
        lastError: decision.outcome === 'FAILED' ? decision.reason : error,
      },
      (consecutiveFailures) => {
        if (decision.outcome !== 'FAILED') return undefined;
        const disable = shouldDisableEndpoint({
          consecutiveFailures,
          disableAfter: this.config.webhooks.disableAfterFailures,
          windowExhausted: decision.windowExhausted,
        });
        if (!disable) return undefined;
        const reason = decision.windowExhausted ? decision.reason : `${consecutiveFailures} deliveries in a row failed; last: ${decision.reason}`;
        this.logger.warn(`webhook ${delivery.webhookId} disabled: ${reason}`);
        return reason;
      },
      now,
    );
    if (!settled)
      this.logger.warn(
        `delivery ${delivery.deliveryId} attempt ${delivery.attempt} was no longer held by this dispatcher (lease taken over, or the webhook deleted); its result is dropped`,
      );
  }
}
