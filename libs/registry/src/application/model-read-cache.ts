import { Inject, Injectable } from '@nestjs/common';
import { AliasNotifications, type AliasChange } from '../infra/alias-notifications';

interface CacheEntry<T> {
  value: T;
  storedAt: number;
  /** Set while one refresh of an expired entry is running (at most one per key). */
  refreshing?: boolean;
}

// With change notifications flowing, entries live long and are dropped on change; without them
// (listener reconnecting), staleness is bounded by the short lifetime.
export const TTL_NOTIFIED_MS = 10_000;
export const TTL_UNNOTIFIED_MS = 500;
// Names come from requests: bound the cache so that made-up names cannot grow it without limit.
// Sized for a registry of tens of thousands of models polled by serving pods (a model load caches
// three answers of a few hundred bytes each): ~100k entries are tens of MiB.
export const MAX_ENTRIES = 100_000;

/**
 * Answers of registry reads, kept per registered-model name and dropped when that model changes.
 * Every registry write announces the names it touches (NOTIFY inside its transaction, so every
 * process learns on commit; this process at once): a cached answer is therefore never older than
 * the last committed change, except while the notification connection is down, when entries live
 * only `TTL_UNNOTIFIED_MS`. Serving pods poll the same few answers by the thousand (a model load
 * reads the model, its alias and the download URI), so a hit is one Map lookup and no database.
 *
 * One exception to "per model": the download URI of a `runs:/` or `models:/` source names the run's
 * or logged model's artifact location, which the registry learns from tracking's events, not its
 * own. One the registry had not heard of when a version's URI was cached keeps its source-as-URI
 * answer until the entry expires (`TTL_NOTIFIED_MS`), then a background refresh corrects it.
 */
@Injectable()
export class ModelReadCache {
  /** model name → (read key → entry): a change drops one model's entries without scanning the rest. */
  private readonly byModel = new Map<string, Map<string, CacheEntry<unknown>>>();
  private size = 0;
  /** Loads in flight for keys not cached yet: concurrent misses share one database read. */
  private readonly loading = new Map<string, Promise<unknown>>();
  /** Bumped per model by each of its changes (all at once after a reconnection): a read started before a change must not be cached after it. */
  private readonly generations = new Map<string, number>();
  private everyModelGeneration = 0;

  constructor(@Inject(AliasNotifications) private readonly notifications: AliasNotifications) {
    this.notifications.onChange((change) => this.invalidate(change));
  }

  /** Whether changes are being heard; false while the notification connection is down. */
  get notified(): boolean {
    return this.notifications.healthy;
  }

  /**
   * The cached answer for (`name`, `key`) while it is fresh. Past its lifetime, with notifications
   * flowing (so nothing changed unannounced), the cached value is still answered while one
   * background read refreshes it: hundreds of pollers hitting an expired entry at once would
   * otherwise each wait on the same query — a latency spike every TTL. Without notifications an
   * expired entry is re-read before answering, by one shared read per key.
   */
  async get<T>(name: string, key: string, load: () => Promise<T>): Promise<T> {
    const cached = this.byModel.get(name)?.get(key) as CacheEntry<T> | undefined;
    if (cached) {
      // The lifetime is decided when read: an entry stored while notified lives only the short one
      // once the notification connection is down.
      if (Date.now() - cached.storedAt < (this.notifications.healthy ? TTL_NOTIFIED_MS : TTL_UNNOTIFIED_MS)) return cached.value;
      if (this.notifications.healthy) {
        if (!cached.refreshing) {
          cached.refreshing = true;
          this.fetch(name, key, load).catch(() => {
            cached.refreshing = false; // the next request tries again; until then the last answer stands
          });
        }
        return cached.value;
      }
    }
    return this.fetch(name, key, load);
  }

  private fetch<T>(name: string, key: string, load: () => Promise<T>): Promise<T> {
    const loadKey = `${name}\u0000${key}`;
    const inFlight = this.loading.get(loadKey) as Promise<T> | undefined;
    if (inFlight) return inFlight;
    // A change announced while the read runs must win over what the read returns.
    const generation = this.generationOf(name);
    const read = load()
      .then((value) => {
        if (generation === this.generationOf(name)) this.store(name, key, value);
        return value;
      })
      .finally(() => this.loading.delete(loadKey));
    this.loading.set(loadKey, read);
    return read;
  }

  private store(name: string, key: string, value: unknown): void {
    let entries = this.byModel.get(name);
    if (entries) {
      // Re-inserted so the Map's order is "stored longest ago first": a polled model is stored
      // again at every refresh, so the models evicted first are the ones nobody asked for lately.
      this.byModel.delete(name);
    } else {
      entries = new Map();
    }
    this.byModel.set(name, entries);
    if (!entries.has(key)) {
      this.size += 1;
      this.evictOldestBeyond(MAX_ENTRIES, name);
    }
    entries.set(key, { value, storedAt: Date.now() });
  }

  /**
   * Drops whole models, oldest first, until at most `limit` entries remain. Evicting by model (not
   * clearing everything, as an earlier version did) keeps a registry larger than the bound from
   * thrashing: with 10,000 polled models, a full clear every few thousand misses made most reads
   * go to the database.
   */
  private evictOldestBeyond(limit: number, keep: string): void {
    for (const [model, entries] of this.byModel) {
      if (this.size <= limit) return;
      if (model === keep) continue;
      this.size -= entries.size;
      this.byModel.delete(model);
    }
  }

  private clear(): void {
    this.byModel.clear();
    this.size = 0;
  }

  /** How many answers are cached (for tests and the metrics). */
  get entryCount(): number {
    return this.size;
  }

  private generationOf(name: string): string {
    return `${this.everyModelGeneration}.${this.generations.get(name) ?? 0}`;
  }

  private invalidate(change: AliasChange): void {
    if (change.name === '*') {
      this.everyModelGeneration += 1;
      this.generations.clear();
      this.loading.clear();
      return this.clear();
    }
    if (this.generations.size >= MAX_ENTRIES) {
      // Bounded like the entries: forgetting every model's count is safe once all bump together.
      this.generations.clear();
      this.everyModelGeneration += 1;
    }
    this.generations.set(change.name, (this.generations.get(change.name) ?? 0) + 1);
    // Reads of this model in flight must not be shared with requests arriving after the change.
    for (const loadKey of this.loading.keys()) if (loadKey.startsWith(`${change.name}\u0000`)) this.loading.delete(loadKey);
    const entries = this.byModel.get(change.name);
    if (!entries) return;
    this.size -= entries.size;
    this.byModel.delete(change.name);
  }
}
