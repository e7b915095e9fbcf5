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
