import fc from 'fast-check';
import { backoffDelay, retryPolicy, sleep, Wakeup, withTimeout } from './retry';

describe('backoffDelay', () => {
  const policy = retryPolicy({ initialDelayMs: 100, maxDelayMs: 2_000, multiplier: 2 });

  it('doubles per failed attempt up to the cap, between half and all of the nominal delay', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 1))).toEqual([100, 200, 400, 800, 1600, 2000]);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0))).toEqual([50, 100, 200, 400, 800, 1000]);
  });

  it('is never negative, never above the cap, never below half the nominal delay', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const delay = backoffDelay(attempt, policy, () => r);
        const nominal = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
        expect(delay).toBeGreaterThanOrEqual(Math.floor(nominal / 2));
        expect(delay).toBeLessThanOrEqual(policy.maxDelayMs);
      }),
    );
  });
});

describe('retryPolicy', () => {
  it('fills in defaults and rejects nonsense', () => {
    expect(retryPolicy({ maxAttempts: 2 })).toMatchObject({ maxAttempts: 2, initialDelayMs: 100 });
    expect(() => retryPolicy({ maxAttempts: 0 })).toThrow('maxAttempts');
    expect(() => retryPolicy({ initialDelayMs: 500, maxDelayMs: 100 })).toThrow('invalid retry delays');
  });
});

describe('sleep', () => {
  it('rejects with the abort reason as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort(new Error('stopping'));
    await expect(slept).rejects.toThrow('stopping');
  });

  it('rejects at once when already aborted', async () => {
    await expect(sleep(60_000, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });
});

describe('Wakeup', () => {
  it('returns at once when woken before anyone waits (no lost notification)', async () => {
    const wakeup = new Wakeup();
    wakeup.wake();
    const started = Date.now();
    await wakeup.wait(60_000);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('ends a wait early on wake, and otherwise after the timeout', async () => {
    const wakeup = new Wakeup();
    const waited = wakeup.wait(60_000);
    wakeup.wake();
    await waited;
    const started = Date.now();
    await wakeup.wait(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });
});

describe('withTimeout', () => {
  it('passes the result through, or fails with the message', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, 'slow')).resolves.toBe(7);
    await expect(withTimeout(new Promise(() => undefined), 10, 'too slow')).rejects.toThrow('too slow');
  });
});
