/** Milliseconds since the epoch; a port so tests can pin time. */
export interface Clock {
  now(): number;
}

export const TRACKING_CLOCK = Symbol('TrackingClock');
export const systemClock: Clock = { now: () => Date.now() };

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
