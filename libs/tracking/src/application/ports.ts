import type { EventMetadata, TrackingEvent } from '@cairn/contracts';
import type { TransactionClient } from '@cairn/platform';

/**
 * Where decided events go: appended to `tracking.events` and `tracking.outbox` inside the command's
 * transaction. `expectedVersion` is the aggregate's version before these events (optimistic check).
 */
export interface TrackingEventLog {
  /** `expectedVersion` undefined: numbered after the stored events (the caller serializes writers itself). */
  append(tx: TransactionClient, aggregateId: string, expectedVersion: number | undefined, events: TrackingEvent[], metadata: EventMetadata): Promise<void>;
  /**
   * The append of a run's writer, queued to run with the COMMIT (one round trip for the append, the
   * projection and the commit). A concurrent append surfaces from the commit as RESOURCE_CONFLICT.
   */
  appendAtCommit(tx: TransactionClient, events: TrackingEvent[], metadata: EventMetadata): void;
}

export const TRACKING_EVENT_LOG = Symbol('TrackingEventLog');

/** Where tracking's `Clock` (the one clock port, from `@cairn/eventing`) is injected. */
export const TRACKING_CLOCK = Symbol('TrackingClock');

/** The run-lifecycle settings (config.lifecycle) the reaper and GC decide with. */
export interface LifecycleSettings {
  /** A RUNNING run silent this long is closed as KILLED. */
  orphanTimeoutMs: number;
  /** Deleted runs and experiments stay restorable this long. */
  retentionDays: number;
}

export const TRACKING_LIFECYCLE_SETTINGS = Symbol('TrackingLifecycleSettings');

export const lifecycleSettingsOf = (config: { lifecycle: { orphanTimeoutS: number; retentionDays: number } }): LifecycleSettings => ({
  orphanTimeoutMs: config.lifecycle.orphanTimeoutS * 1000,
  retentionDays: config.lifecycle.retentionDays,
});
