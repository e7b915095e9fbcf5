import { Inject, Injectable } from '@nestjs/common';
import type { AliasResolution } from '@cairn/contracts';
import { AliasNotifications, type AliasChange } from '../infra/alias-notifications';
import { RegistryQueries } from './registry-queries';

/** An alias's answer as the resolve route sends it, with its validator. */
export interface ResolvedAlias {
  etag: string;
  /** Undefined when the model has no such alias (yet). */
  body: AliasResolution | undefined;
  /** `body` serialised once, when it was loaded: the hot path sends it as is. */
  json: string | undefined;
}

interface CacheEntry {
  value: ResolvedAlias;
  expiresAt: number;
  /** Set while one refresh of an expired entry is running (at most one per key). */
  refreshing?: boolean;
}

// With change notifications flowing, entries live long and are dropped on change; without them
// (listener reconnecting), staleness is bounded by the short lifetime.
const TTL_NOTIFIED_MS = 10_000;
const TTL_UNNOTIFIED_MS = 500;
const ABSENT_ETAG = '"absent"';
// Names come from requests: bound the cache so that made-up names cannot grow it without limit.
const MAX_ENTRIES = 10_000;

/**
 * Alias resolution for serving pods: answers from memory while nothing changes, invalidated by the
 * alias-change notifications every writer sends, and a long-poll watch that returns as soon as the
 * alias moves (or at the deadline, unchanged).
 */
@Injectable()
export class AliasResolver {
  private readonly cache = new Map<string, CacheEntry>();
  /** Loads in flight for keys not cached yet: concurrent misses share one database read. */
  private readonly loading = new Map<string, Promise<ResolvedAlias>>();
  /** Bumped by every change notification: a read started before one must not be cached after it. */
  private generation = 0;

  constructor(
    @Inject(RegistryQueries) private readonly queries: RegistryQueries,
    @Inject(AliasNotifications) private readonly notifications: AliasNotifications,
  ) {
    this.notifications.onChange((change) => this.invalidate(change));
  }

  /**
   * The cached resolution while it is fresh. Past its lifetime, with change notifications flowing
   * (so nothing changed unannounced), the cached value is still answered while one background read
   * refreshes it: hundreds of pollers hitting an expired entry at once would otherwise each wait on
   * (and each issue) the same query — a latency spike every TTL. Without notifications an expired
   * entry is re-read before answering, by one shared read per key.
   */
  async resolve(name: string, alias: string): Promise<ResolvedAlias> {
    const key = `${name}\u0000${alias}`;
    const cached = this.cache.get(key);
    if (cached) {
      if (cached.expiresAt > Date.now()) return cached.value;
      if (this.notifications.healthy) {
        if (!cached.refreshing) {
          cached.refreshing = true;
          this.fetch(key, name, alias).catch(() => {
            cached.refreshing = false; // the next request tries again; until then the last answer stands
          });
        }
        return cached.value;
      }
    }
    return this.fetch(key, name, alias);
  }

  /** Reads and caches one resolution; concurrent calls for one key share the read. */
  private fetch(key: string, name: string, alias: string): Promise<ResolvedAlias> {
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    // A notification arriving while the read runs must win over what the read returns.
    const generation = this.generation;
    const read = this.load(name, alias)
      .then((value) => {
        if (generation === this.generation) {
          if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
          this.cache.set(key, { value, expiresAt: Date.now() + (this.notifications.healthy ? TTL_NOTIFIED_MS : TTL_UNNOTIFIED_MS) });
        }
        return value;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, read);
    return read;
  }

  /** Resolves once the alias no longer has `etag`, or after `waitMs` with the unchanged resolution. */
  async watch(name: string, alias: string, etag: string, waitMs: number): Promise<ResolvedAlias> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      // Subscribe before reading, so a move committed between the read and the wait is not missed.
      const change = this.nextChange(name);
      const current = await this.resolve(name, alias);
      const left = deadline - Date.now();
      if (current.etag !== etag || left <= 0) {
        change.cancel();
        return current;
      }
      // Without notifications, poll at the cache lifetime so a move is still seen within a second.
      await change.wait(this.notifications.healthy ? left : Math.min(left, TTL_UNNOTIFIED_MS));
    }
  }

  private nextChange(name: string): { wait(timeoutMs: number): Promise<void>; cancel(): void } {
    let changed = false;
    let wake: (() => void) | undefined;
    const unsubscribe = this.notifications.onChange((c) => {
      if (c.name !== name && c.name !== '*') return;
      changed = true;
      wake?.();
    });
    return {
      cancel: unsubscribe,
      wait: (timeoutMs) =>
        new Promise<void>((resolve) => {
          const finish = () => {
            clearTimeout(timer);
            unsubscribe();
            resolve();
          };
          const timer = setTimeout(finish, Math.max(0, timeoutMs));
          wake = finish;
          if (changed) finish();
        }),
    };
  }

  private invalidate(change: AliasChange): void {
    this.generation += 1;
    this.loading.clear();
    if (change.name === '*') {
      this.cache.clear();
      return;
    }
    for (const key of this.cache.keys()) if (key.startsWith(`${change.name}\u0000`)) this.cache.delete(key);
  }

  private async load(name: string, alias: string): Promise<ResolvedAlias> {
    const version = await this.queries.findVersionByAlias(name, alias);
    if (!version) return { etag: ABSENT_ETAG, body: undefined, json: undefined };
    const artifactUri = await this.queries.downloadUriOf(version);
    const body: AliasResolution = {
      name: version.name,
      alias,
      version: version.version,
      ...(version.runId ? { run_id: version.runId } : {}),
      ...(version.loggedModelId ? { model_id: version.loggedModelId } : {}),
      source: version.source,
      artifact_uri: artifactUri,
      current_stage: version.currentStage,
    };
    return { etag: `"${version.modelId}.${version.version}.${version.currentStage}"`, body, json: JSON.stringify(body) };
  }
}
