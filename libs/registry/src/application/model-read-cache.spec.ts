import { EventEmitter } from 'node:events';
import type { AliasChange, AliasNotifications } from '../infra/alias-notifications';
import { MAX_ENTRIES, ModelReadCache } from './model-read-cache';

class Notifications {
  healthy = true;
  private readonly emitter = new EventEmitter();
  onChange(listener: (change: AliasChange) => void): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }
}

describe('ModelReadCache bound', () => {
  let cache: ModelReadCache;
  let reads: number;
  const read = (name: string) =>
    cache.get(name, 'alias:champion', async () => {
      reads += 1;
      return { name, version: '1' };
    });

  beforeEach(() => {
    cache = new ModelReadCache(new Notifications() as unknown as AliasNotifications);
    reads = 0;
  });

  it('keeps serving the models polled lately from memory when the registry has more models than the bound', async () => {
    const models = MAX_ENTRIES + 10;
    for (let i = 0; i < models; i++) await read(`model-${i}`);
    expect(reads).toBe(models);
    expect(cache.entryCount).toBe(MAX_ENTRIES);

    // Every model but the ten stored first is still cached: no database read for them.
    reads = 0;
    for (let i = 10; i < models; i++) await read(`model-${i}`);
    expect(reads).toBe(0);
    // The oldest were evicted, a model at a time, instead of everything at once.
    await read('model-0');
    expect(reads).toBe(1);
  });

  it('evicts the models stored longest ago, not one that was just stored again', async () => {
    await read('hot');
    for (let i = 0; i < MAX_ENTRIES - 1; i++) await read(`cold-${i}`);
    await cache.get('hot', 'model', async () => ({ name: 'hot' })); // a second answer of the hot model: stored last
    await read('one-more');
    reads = 0;
    await read('hot');
    expect(reads).toBe(0);
    await read('cold-0');
    expect(reads).toBe(1);
  });
});
