import { MAX_AUTHORIZATION_LENGTH, mintToken, parseAuthorization, secretMatches, sha256 } from './credentials';

const basic = (value: string) => `Basic ${Buffer.from(value).toString('base64')}`;

describe('parseAuthorization', () => {
  it('reads Basic credentials as the mlflow client sends them (a colon may be in the password)', () => {
    expect(parseAuthorization(basic('ana:s3cret:with:colons'))).toEqual({ kind: 'basic', username: 'ana', password: 's3cret:with:colons' });
  });

  it('tells Cairn tokens from other bearer values (JWTs)', () => {
    const { token } = mintToken('0190d6c4-1f2a-7b3c-8d4e-5f6a7b8c9d0e');
    expect(parseAuthorization(`Bearer ${token}`)).toMatchObject({ kind: 'token', tokenId: '0190d6c4-1f2a-7b3c-8d4e-5f6a7b8c9d0e' });
    expect(parseAuthorization('Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig')).toEqual({ kind: 'jwt', jwt: 'eyJhbGciOiJSUzI1NiJ9.e30.sig' });
  });

  it('refuses forged and malformed headers instead of guessing', () => {
    for (const header of [
      'Basic',
      'Basic !!!notbase64',
      basic('no-colon'),
      basic(':empty-user'),
      'Bearer ',
      'Bearer cairn_short_x',
      'Digest username="x"',
      `Bearer ${'a'.repeat(MAX_AUTHORIZATION_LENGTH)}`,
    ]) {
      expect(parseAuthorization(header)).toMatchObject({ kind: 'malformed' });
    }
    expect(parseAuthorization(undefined)).toBeUndefined();
  });
});

describe('token secrets', () => {
  it('match only their own hash', () => {
    const minted = mintToken('0190d6c4-1f2a-7b3c-8d4e-5f6a7b8c9d0e');
    expect(secretMatches(minted.secret, minted.secretSha256)).toBe(true);
    expect(secretMatches(`${minted.secret.slice(0, -1)}x`, minted.secretSha256)).toBe(false);
    expect(secretMatches(minted.secret, sha256('other'))).toBe(false);
    expect(secretMatches(minted.secret, Buffer.alloc(3))).toBe(false);
  });

  it('are 256 random bits, different every time', () => {
    const a = mintToken('0190d6c4-1f2a-7b3c-8d4e-5f6a7b8c9d0e');
    const b = mintToken('0190d6c4-1f2a-7b3c-8d4e-5f6a7b8c9d0e');
    expect(Buffer.from(a.secret, 'base64url')).toHaveLength(32);
    expect(a.secret).not.toBe(b.secret);
  });
});
