import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobNotFoundError, BlobTooLargeError, IncompleteUploadError, type BlobStore } from './blob-store';
import { UnsafeArtifactPathError } from './artifact-path';

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A stream of `size` pseudo-random bytes produced in chunks, never held whole. */
export function generatedStream(size: number, seed = 1): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let produced = 0;
  let state = seed;
  const stream = new Readable({
    read() {
      if (produced >= size) return void this.push(null);
      const n = Math.min(256 * 1024, size - produced);
      const chunk = Buffer.alloc(n);
      for (let i = 0; i < n; i += 4) {
        state = (state * 1103515245 + 12345) >>> 0;
        if (i + 4 <= n) chunk.writeUInt32LE(state, i);
        else for (let j = i; j < n; j++) chunk[j] = (state >>> (8 * (j - i))) & 0xff;
      }
      hash.update(chunk);
      produced += n;
      this.push(chunk);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

/** A source that sends 1 MiB chunks and then fails after `bytes`, as an upload whose client went away. */
export function sourceFailingAfter(bytes: number, message = 'socket hang up'): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent > bytes) return void this.destroy(new Error(message));
      sent += 1024 * 1024;
      this.push(Buffer.alloc(1024 * 1024, 1));
    },
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The behaviour every BlobStore adapter must have; run by each adapter's int spec. */
export function blobStoreContract(name: string, makeStore: () => Promise<{ store: BlobStore; cleanup(): Promise<void> }>) {
  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore;
    let cleanup: () => Promise<void>;
    const run = `t${Date.now()}-${randomBytes(3).toString('hex')}`;

    beforeAll(async () => {
      ({ store, cleanup } = await makeStore());
    }, 30_000);
    afterAll(() => cleanup());

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('puts a stream and reports size and sha256 computed while streaming', async () => {
      const body = Buffer.from('hello artifacts\n');
      const stored = await store.put(`${run}/a/hello.txt`, Readable.from([body]));
      expect(stored).toEqual({ key: `${run}/a/hello.txt`, size: body.length, sha256: sha(body) });
      expect(await readAll(await store.get(`${run}/a/hello.txt`))).toEqual(body);
      expect(await store.head(`${run}/a/hello.txt`)).toEqual({ key: `${run}/a/hello.txt`, size: body.length });
    });

    it('stores the empty file', async () => {
      const stored = await store.put(`${run}/empty`, Readable.from([]));
      expect(stored.size).toBe(0);
      expect(stored.sha256).toBe(sha(Buffer.alloc(0)));
      expect(await readAll(await store.get(`${run}/empty`))).toEqual(Buffer.alloc(0));
    });

    it('streams an object larger than several parts and reads byte ranges of it', async () => {
      const size = 21 * 1024 * 1024 + 123;
      const gen = generatedStream(size, 7);
      const stored = await store.put(`${run}/big.bin`, gen.stream, { expectedSize: size });
      expect(stored.size).toBe(size);
      expect(stored.sha256).toBe(gen.sha256());
      const again = generatedStream(size, 7);
      const whole = await readAll(again.stream);
      const slice = await readAll(await store.get(`${run}/big.bin`, { start: 10 * 1024 * 1024 - 5, end: 10 * 1024 * 1024 + 4 }));
      expect(slice).toEqual(whole.subarray(10 * 1024 * 1024 - 5, 10 * 1024 * 1024 + 5));
      expect(sha(await readAll(await store.get(`${run}/big.bin`)))).toBe(stored.sha256);
    }, 120_000);

    it('replaces an existing key atomically', async () => {
      await store.put(`${run}/replace.txt`, Readable.from([Buffer.from('one')]));
      await store.put(`${run}/replace.txt`, Readable.from([Buffer.from('two!')]));
      expect((await readAll(await store.get(`${run}/replace.txt`))).toString()).toBe('two!');
    });

    it('refuses more bytes than allowed while streaming, stores nothing, and leaves the rest of the source to the caller', async () => {
      const gen = generatedStream(3 * 1024 * 1024);
      await expect(store.put(`${run}/too-big.bin`, gen.stream, { maxBytes: 1024 * 1024 })).rejects.toBeInstanceOf(BlobTooLargeError);
      expect(await store.head(`${run}/too-big.bin`)).toBeUndefined();
      // Not destroyed: the HTTP layer drains what is left, so the sender gets the 413.
      expect(gen.stream.destroyed).toBe(false);
      expect((await readAll(gen.stream)).length).toBeGreaterThan(0);
    });

    it('refuses a body shorter than announced, and stores nothing', async () => {
      await expect(store.put(`${run}/short.bin`, Readable.from([Buffer.from('abc')]), { expectedSize: 10 })).rejects.toBeInstanceOf(IncompleteUploadError);
      expect(await store.head(`${run}/short.bin`)).toBeUndefined();
    });

    it('stores nothing when the source fails midway (client went away)', async () => {
      await expect(store.put(`${run}/broken.bin`, sourceFailingAfter(12 * 1024 * 1024))).rejects.toThrow('socket hang up');
      expect(await store.head(`${run}/broken.bin`)).toBeUndefined();
    }, 60_000);

    // With the size announced (every mlflow client upload), an adapter may stream differently (S3
    // sends large bodies in one PUT as they arrive): the same refusals must hold there.
    describe('with the size announced, larger than an S3 part', () => {
      const size = 12 * 1024 * 1024 + 5;

      it('refuses a body shorter than announced, and stores nothing', async () => {
        const short = generatedStream(size - 1000);
        await expect(store.put(`${run}/announced-short.bin`, short.stream, { expectedSize: size })).rejects.toBeInstanceOf(IncompleteUploadError);
        expect(await store.head(`${run}/announced-short.bin`)).toBeUndefined();
      }, 60_000);

      it('refuses more bytes than the quota allows while streaming, and stores nothing', async () => {
        const gen = generatedStream(size);
        await expect(store.put(`${run}/announced-over.bin`, gen.stream, { expectedSize: size, maxBytes: 6 * 1024 * 1024 })).rejects.toBeInstanceOf(
          BlobTooLargeError,
        );
        expect(await store.head(`${run}/announced-over.bin`)).toBeUndefined();
      }, 60_000);

      it('stores nothing when the source fails midway, and keeps what was there before', async () => {
        await store.put(`${run}/announced-broken.bin`, Readable.from([Buffer.from('before')]));
        await expect(store.put(`${run}/announced-broken.bin`, sourceFailingAfter(7 * 1024 * 1024), { expectedSize: size })).rejects.toThrow('socket hang up');
        expect((await readAll(await store.get(`${run}/announced-broken.bin`))).toString()).toBe('before');
      }, 60_000);
    });

    it('lists by prefix in key order, a page at a time', async () => {
      for (const k of ['p/b', 'p/a', 'p/c/d', 'q/x']) await store.put(`${run}/${k}`, Readable.from([Buffer.from(k)]));
      const first = await store.list(`${run}/p/`, { limit: 2 });
      expect(first.items.map((i) => i.key)).toEqual([`${run}/p/a`, `${run}/p/b`]);
      expect(first.next).toBeDefined();
      const second = await store.list(`${run}/p/`, { limit: 2, after: first.next ?? '' });
      expect(second.items.map((i) => i.key)).toEqual([`${run}/p/c/d`]);
      expect(second.next).toBeUndefined();
      expect(second.items[0]?.modifiedAt?.getTime()).toEqual(expect.any(Number));
      expect(second.items[0]?.size).toBe(`${run}/p/c/d`.length - run.length - 1);
    });

    it('deletes, and deleting an absent key is not an error', async () => {
      await store.put(`${run}/gone.txt`, Readable.from([Buffer.from('x')]));
      await store.delete(`${run}/gone.txt`);
      expect(await store.head(`${run}/gone.txt`)).toBeUndefined();
      await expect(store.get(`${run}/gone.txt`)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.delete(`${run}/gone.txt`)).resolves.toBeUndefined();
    });

    it.each(['../escape.txt', `${run}/../../escape.txt`, '/etc/passwd', `${run}/%2e%2e%2f%2e%2e%2fescape`, `${run}\\..\\x`, `${run}/a%00b`])(
      'refuses the hostile key %j on every operation',
      async (key) => {
        await expect(store.put(key, Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(UnsafeArtifactPathError);
        await expect(store.get(key)).rejects.toBeInstanceOf(UnsafeArtifactPathError);
        await expect(store.delete(key)).rejects.toBeInstanceOf(UnsafeArtifactPathError);
      },
    );
  });
}
