import { EventEmitter } from 'node:events';
import type { AliasChange, AliasNotifications } from '../infra/alias-notifications';
import type { ModelVersionView } from './views';
import { AliasResolver } from './alias-resolution';
import { ModelReadCache } from './model-read-cache';
import type { RegistryQueries } from './registry-queries';

/** A registry whose alias reads are counted and can be held open, to interleave them with notifications. */
class FakeRegistry {
  version = '1';
  reads = 0;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  readonly queries = {
    findVersionByAlias: async (name: string): Promise<ModelVersionView> => {
      this.reads += 1;
      const version = this.version; // what the database holds when the read starts
      if (this.gate) await this.gate;
      return { modelId: 'm', name, version, currentStage: 'None', source: 's', runId: null, loggedModelId: null } as unknown as ModelVersionView;
    },
    downloadUriOf: async (version: ModelVersionView) => `uri/${version.version}`,
  } as unknown as RegistryQueries;
}

class FakeNotifications {
  healthy = true;
  private readonly emitter = new EventEmitter();
  onChange(listener: (change: AliasChange) => void): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }
  emit(name: string): void {
    this.emitter.emit('change', { modelId: 'm', name });
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('AliasResolver', () => {
  let registry: FakeRegistry;
  let notifications: FakeNotifications;
  let resolver: AliasResolver;

  beforeEach(() => {
    jest.useRealTimers();
    registry = new FakeRegistry();
    notifications = new FakeNotifications();
    const heard = notifications as unknown as AliasNotifications;
    resolver = new AliasResolver(registry.queries, heard, new ModelReadCache(heard));
  });

  it('answers a burst of requests for an uncached alias with one database read', async () => {
    registry.hold();
    const answers = Array.from({ length: 50 }, () => resolver.resolve('model', 'champion'));
    registry.release();
    const versions = (await Promise.all(answers)).map((a) => a.body?.version);
    expect(versions).toEqual(Array(50).fill('1'));
    expect(registry.reads).toBe(1);
  });

  it('keeps answering an expired entry while one background read refreshes it (notifications healthy)', async () => {
    const now = jest.spyOn(Date, 'now');
    now.mockReturnValue(1_000_000);
    await resolver.resolve('model', 'champion');
    now.mockReturnValue(1_000_000 + 60_000); // long past the cache lifetime
    registry.version = '2'; // changed without a notification: only the refresh can learn it
    registry.hold();
    const during = await Promise.all(Array.from({ length: 20 }, () => resolver.resolve('model', 'champion')));
    expect(during.map((a) => a.body?.version)).toEqual(Array(20).fill('1'));
    expect(registry.reads).toBe(2); // the first read, then exactly one refresh
    registry.release();
    await flush();
    expect((await resolver.resolve('model', 'champion')).body?.version).toBe('2');
    now.mockRestore();
  });

  it('re-reads an expired entry before answering when notifications are down', async () => {
    const now = jest.spyOn(Date, 'now');
    now.mockReturnValue(1_000_000);
    notifications.healthy = false;
    await resolver.resolve('model', 'champion');
    now.mockReturnValue(1_000_000 + 1_000);
    registry.version = '2';
    expect((await resolver.resolve('model', 'champion')).body?.version).toBe('2');
    now.mockRestore();
  });

  it('does not cache a read that a change notification overtook', async () => {
    registry.hold();
    const stale = resolver.resolve('model', 'champion'); // reads version 1...
    registry.version = '2';
    notifications.emit('model'); // ...while the alias moves and the move is announced
    registry.release();
    expect((await stale).body?.version).toBe('1');
    expect((await resolver.resolve('model', 'champion')).body?.version).toBe('2');
  });

  it('drops a cached alias when its model changes', async () => {
    await resolver.resolve('model', 'champion');
    registry.version = '2';
    notifications.emit('other');
    expect((await resolver.resolve('model', 'champion')).body?.version).toBe('1');
    notifications.emit('model');
    expect((await resolver.resolve('model', 'champion')).body?.version).toBe('2');
  });
});
