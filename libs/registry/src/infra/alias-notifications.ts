import { EventEmitter } from 'node:events';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { Database } from '@cairn/platform';

/** Postgres channel on which a committed alias change (or anything that moves aliases) is announced. */
export const ALIAS_CHANNEL = 'cairn_registry_alias_changed';

export interface AliasChange {
  modelId: string;
  name: string;
}

/**
 * Tells this process that a model's aliases may have changed, whichever process wrote it: writers
 * `pg_notify` inside their transaction (delivered on commit, never for a rollback), and every
 * registry process LISTENs on one dedicated connection. Processes that share the database (all
 * replicas of the server and of registry-service) therefore learn of a move within milliseconds.
 * If the connection drops, `healthy` turns false and readers fall back to short cache lifetimes
 * until it reconnects.
 */
@Injectable()
export class AliasNotifications implements OnModuleInit, OnModuleDestroy {
  private readonly emitter = new EventEmitter();
  private readonly logger = new Logger('registry.alias-notifications');
  private client: Client | undefined;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  healthy = false;

  constructor(@Inject(Database) private readonly database: Database) {
    this.emitter.setMaxListeners(0);
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.emitter.removeAllListeners();
    await this.client?.end().catch(() => undefined);
  }

  /** A change committed by this process: listeners hear it now, before the NOTIFY comes back. */
  announceLocally(change: AliasChange): void {
    this.emitter.emit('change', change);
  }

  onChange(listener: (change: AliasChange) => void): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.database.url });
    client.on('notification', (message) => {
      if (message.channel !== ALIAS_CHANNEL || !message.payload) return;
      try {
        this.emitter.emit('change', JSON.parse(message.payload) as AliasChange);
      } catch {
        // A malformed payload cannot come from our writers; ignore it.
      }
    });
    const retry = () => {
      this.healthy = false;
      if (this.stopped || this.reconnectTimer) return;
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        void this.connect();
      }, 1000);
    };
    client.on('error', () => retry());
    client.on('end', () => retry());
    try {
      await client.connect();
      await client.query(`LISTEN ${ALIAS_CHANNEL}`);
      this.client = client;
      this.healthy = true;
      // Whatever changed while we were not listening: everyone re-reads.
      this.emitter.emit('change', { modelId: '*', name: '*' });
    } catch (error) {
      this.logger.warn(`cannot LISTEN for alias changes: ${(error as Error).message}`);
      await client.end().catch(() => undefined);
      retry();
    }
  }
}
