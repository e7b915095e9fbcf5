import { BoundedCache, canonicalExperimentId } from './locating';

describe('locating helpers', () => {
  it('name an experiment by the number Postgres reads', () => {
    expect(canonicalExperimentId('007')).toBe('7');
    expect(canonicalExperimentId('0')).toBe('0');
    expect(canonicalExperimentId('900719925474099312')).toBe('900719925474099312');
    expect(canonicalExperimentId('traces')).toBe('traces');
  });

  it('forget the least recently used entry when full', () => {
    const cache = new BoundedCache<string>(2);
    cache.set('a', '1');
    cache.set('b', '2');
    expect(cache.get('a')).toBe('1');
    cache.set('c', '3');
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('1');
    expect(cache.get('c')).toBe('3');
    expect(cache.size).toBe(2);
  });
});
