/**
 * Failed sign-ins per key (client address + user name) in a sliding minute: past the limit, the key
 * is refused (429) before its credentials are even checked, so guessing a password costs a minute per
 * handful of tries. In memory per replica: an attacker spreading over replicas gets replicas × limit.
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
    if (this.failures.size >= this.maxKeys) this.evictStale();
    const recent = this.recent(key);
    recent.push(this.now());
    this.failures.set(key, recent);
  }

  private recent(key: string): number[] {
    const since = this.now() - 60_000;
    return (this.failures.get(key) ?? []).filter((t) => t > since);
  }

  private evictStale(): void {
    for (const key of [...this.failures.keys()]) if (this.recent(key).length === 0) this.failures.delete(key);
    if (this.failures.size >= this.maxKeys) this.failures.clear();
  }
}
