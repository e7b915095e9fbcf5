import fc from 'fast-check';
import { createUuidV7Generator, uuidv7, uuidv7Timestamp } from './uuidv7';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('has the RFC 9562 layout: version 7, variant 10', () => {
    for (let i = 0; i < 1000; i++) expect(uuidv7()).toMatch(V7);
  });

  it('encodes the creation time in its first 48 bits', () => {
    const at = Date.parse('2031-05-06T07:08:09.123Z');
    const next = createUuidV7Generator({ now: () => at });
    expect(uuidv7Timestamp(next())).toBe(at);
  });

  it('stays strictly increasing within one millisecond', () => {
    const next = createUuidV7Generator({ now: () => 1_700_000_000_000 });
    const ids = Array.from({ length: 10_000 }, next);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(V7);
  });

  it('never goes back in time when the clock does', () => {
    let now = 1_700_000_000_500;
    const next = createUuidV7Generator({ now: () => now });
    const first = next();
    now -= 400;
    const second = next();
    expect(second > first).toBe(true);
    expect(uuidv7Timestamp(second)).toBe(1_700_000_000_500);
  });

  it('sorts in generation order for any sequence of clock readings', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 47 }), { minLength: 1, maxLength: 300 }), (times) => {
        let i = 0;
        const next = createUuidV7Generator({ now: () => times[i++ % times.length] });
        const ids = times.map(() => next());
        expect([...ids].sort()).toEqual(ids);
        expect(new Set(ids).size).toBe(ids.length);
      }),
    );
  });

  it('uses the random source for the low bits', () => {
    const next = createUuidV7Generator({ now: () => 0, randomFill: (bytes) => bytes.fill(0xff) });
    // The counter is seeded from the random bytes with its top bit cleared, leaving room to count.
    expect(next()).toBe('00000000-0000-77ff-bfff-ffffffffffff');
    expect(next()).toBe('00000000-0000-7800-bfff-ffffffffffff');
  });
});
