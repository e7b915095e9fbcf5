/**
 * Failed sign-ins per key in a sliding minute: past the limit, the key is refused (429) before its
 * credentials are even checked, so guessing a password costs a minute per handful of tries. Bounded
 * memory: the least recently failing keys are forgotten first, so spraying new keys cannot push out
 * (and so unblock) a key that keeps failing. In memory per replica: an attacker spreading over
 * replicas gets replicas × limit.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limitPerMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 50_000,
  ) {}

  isBlocked(key: string): boolean {
    return this.recent(key).length >= this.limitPerMinute;
  }

  recordFailure(key: string): void {
    const recent = this.recent(key);
    recent.push(this.now());
    // Re-inserted at the end: Map order is then "least recently failing first".
    this.failures.delete(key);
    this.failures.set(key, recent.slice(-this.limitPerMinute));
    if (this.failures.size > this.maxKeys) {
      const excess = this.failures.size - this.maxKeys;
      let dropped = 0;
      for (const oldest of this.failures.keys()) {
        if (dropped++ >= excess) break;
        this.failures.delete(oldest);
      }
    }
  }

  private recent(key: string): number[] {
    const since = this.now() - 60_000;
    return (this.failures.get(key) ?? []).filter((t) => t > since);
  }
}
