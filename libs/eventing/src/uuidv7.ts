import { randomFillSync } from 'node:crypto';

export interface UuidV7Options {
  /** Milliseconds since the Unix epoch; injectable so tests can freeze or rewind time. */
  now?: () => number;
  /** Fills the buffer with random bytes (crypto-strength by default). */
  randomFill?: (bytes: Uint8Array) => void;
}

const MAX_COUNTER = 0xfff;

/**
 * Returns a generator of RFC 9562 version 7 UUIDs: 48 bits of Unix milliseconds, then the 12-bit
 * `rand_a` field used as a counter (RFC 9562 §6.2, method 1), then 62 random bits.
 *
 * Ids from one generator are strictly increasing, also as strings: within one millisecond the
 * counter (seeded randomly below 2^11 so it has room to grow) increments; if it overflows or the
 * clock steps backwards we keep counting from the last timestamp used rather than go back in time.
 * Sorted ids therefore follow creation order, which keeps the `events.event_id` index append-mostly.
 */
export function createUuidV7Generator(options: UuidV7Options = {}): () => string {
  const now = options.now ?? Date.now;
  const randomFill = options.randomFill ?? ((bytes: Uint8Array) => randomFillSync(bytes));
  const bytes = new Uint8Array(16);
  let lastMs = -1;
  let counter = 0;

  return () => {
    const ms = Math.floor(now());
    randomFill(bytes);
    if (ms > lastMs) {
      lastMs = ms;
      counter = ((bytes[6] << 8) | bytes[7]) & 0x7ff;
    } else if (counter < MAX_COUNTER) {
      counter++;
    } else {
      // 4096 ids in one millisecond: borrow the next millisecond (the RFC allows this).
      lastMs++;
      counter = ((bytes[6] << 8) | bytes[7]) & 0x7ff;
    }
    let t = lastMs;
    for (let i = 5; i >= 0; i--) {
      bytes[i] = t % 256;
      t = Math.floor(t / 256);
    }
    bytes[6] = 0x70 | (counter >> 8);
    bytes[7] = counter & 0xff;
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    return format(bytes);
  };
}

/** The process-wide generator. */
export const uuidv7: () => string = createUuidV7Generator();

/** The Unix milliseconds encoded in a v7 UUID. */
export function uuidv7Timestamp(id: string): number {
  return parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function format(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out += '-';
    out += HEX[b[i]];
  }
  return out;
}
