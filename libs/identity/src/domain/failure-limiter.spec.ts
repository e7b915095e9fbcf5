import { FailureLimiter } from './failure-limiter';

describe('FailureLimiter', () => {
  it('blocks a key after the limit within a minute, and frees it a minute later', () => {
    let now = 0;
    const limiter = new FailureLimiter(3, () => now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.isBlocked('1.2.3.4|ana')).toBe(false);
      limiter.recordFailure('1.2.3.4|ana');
      now += 1000;
    }
    expect(limiter.isBlocked('1.2.3.4|ana')).toBe(true);
    expect(limiter.isBlocked('1.2.3.4|bob')).toBe(false);
    now += 60_000;
    expect(limiter.isBlocked('1.2.3.4|ana')).toBe(false);
  });

  it('keeps a key that keeps failing blocked while a spray of new keys fills its memory', () => {
    const limiter = new FailureLimiter(3, () => 0, 100);
    for (let i = 0; i < 3; i++) limiter.recordFailure('attacker');
    for (let i = 0; i < 1000; i++) {
      limiter.recordFailure(`spray-${i}`);
      if (i % 50 === 0) limiter.recordFailure('attacker');
    }
    expect(limiter.isBlocked('attacker')).toBe(true);
    // The first sprayed keys were forgotten (bounded memory): they start over.
    limiter.recordFailure('spray-0');
    expect(limiter.isBlocked('spray-0')).toBe(false);
  });
});
