import { Inject, Injectable } from '@nestjs/common';
import type { AliasResolution } from '@cairn/contracts';
import { AliasNotifications } from '../infra/alias-notifications';
import { ModelReadCache, TTL_UNNOTIFIED_MS } from './model-read-cache';
import { RegistryQueries } from './registry-queries';

/** An alias's answer as the resolve route sends it, with its validator. */
export interface ResolvedAlias {
  etag: string;
  /** Undefined when the model has no such alias (yet). */
  body: AliasResolution | undefined;
  /** `body` serialised once, when it was loaded: the hot path sends it as is. */
  json: string | undefined;
}

const ABSENT_ETAG = '"absent"';

/**
 * Alias resolution for serving pods: answers from memory while nothing changes, invalidated by the
 * alias-change notifications every writer sends, and a long-poll watch that returns as soon as the
 * alias moves (or at the deadline, unchanged).
 */
@Injectable()
export class AliasResolver {
  constructor(
    @Inject(RegistryQueries) private readonly queries: RegistryQueries,
    @Inject(AliasNotifications) private readonly notifications: AliasNotifications,
    @Inject(ModelReadCache) private readonly cache: ModelReadCache,
  ) {}

  /** From the registry's read cache (kept per model, dropped when the model changes). */
  resolve(name: string, alias: string): Promise<ResolvedAlias> {
    return this.cache.get(name, `resolve\u0000${alias}`, () => this.load(name, alias));
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
      await change.wait(this.cache.notified ? left : Math.min(left, TTL_UNNOTIFIED_MS));
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
