import { EventEmitter } from 'node:events';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Database, NoticeListener } from '@cairn/platform';

/**
 * Postgres channel on which every committed registry change is announced with its model's name (read
 * caches and alias watches listen). Named for what it first carried; kept so that processes of the
 * previous release, still running during a rolling upgrade, keep hearing changes.
 */
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
  private readonly listener: NoticeListener;

  constructor(@Inject(Database) database: Database) {
    this.emitter.setMaxListeners(0);
    this.listener = new NoticeListener(
      database.url,
      ALIAS_CHANNEL,
      (payload) => {
        // After a (re)connection: whatever changed while we were not listening, everyone re-reads.
        if (payload === undefined) return void this.emitter.emit('change', { modelId: '*', name: '*' });
        try {
          this.emitter.emit('change', JSON.parse(payload) as AliasChange);
        } catch {
          // A malformed payload cannot come from our writers; ignore it.
        }
      },
      (message) => this.logger.warn(message),
    );
  }

  /** False while the LISTEN connection is down: readers then fall back to short cache lifetimes. */
  get healthy(): boolean {
    return this.listener.healthy;
  }

  async onModuleInit(): Promise<void> {
    await this.listener.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.emitter.removeAllListeners();
    await this.listener.stop();
  }

  /** A change committed by this process: listeners hear it now, before the NOTIFY comes back. */
  announceLocally(change: AliasChange): void {
    this.emitter.emit('change', change);
  }

  onChange(listener: (change: AliasChange) => void): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }
}
