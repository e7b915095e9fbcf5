import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box';

describe('SecretBox: webhook secrets at rest', () => {
  const key = randomBytes(32);

  it('with a key, stores a different ciphertext each time and opens it back to the secret', () => {
    const box = new SecretBox(key);
    const a = box.seal('whsec_abc');
    const b = box.seal('whsec_abc');
    expect(a).toMatch(/^cairn-aes256gcm:v1:/);
    expect(a).not.toContain('whsec_abc');
    expect(a).not.toEqual(b);
    expect(box.open(a)).toBe('whsec_abc');
    expect(box.open(b)).toBe('whsec_abc');
  });

  it('without a key, stores the secret as given; values stored before a key was set stay readable with it', () => {
    expect(new SecretBox(undefined).seal('plain')).toBe('plain');
    expect(new SecretBox(key).open('plain')).toBe('plain');
    expect(new SecretBox(key).seal(null)).toBeNull();
  });

  it('refuses to open with the wrong key, an altered value, or no key at all, instead of signing with garbage', () => {
    const sealed = new SecretBox(key).seal('s3cret') ?? '';
    expect(() => new SecretBox(randomBytes(32)).open(sealed)).toThrow();
    const parts = sealed.split(':');
    const altered = [...parts.slice(0, -1), Buffer.from('x' + Buffer.from(parts.at(-1) ?? '', 'base64').toString('latin1'), 'latin1').toString('base64')].join(
      ':',
    );
    expect(() => new SecretBox(key).open(altered)).toThrow();
    expect(() => new SecretBox(undefined).open(sealed)).toThrow(/CAIRN_WEBHOOK_SECRET_KEY/);
  });

  it('accepts only a 32-byte key', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});
