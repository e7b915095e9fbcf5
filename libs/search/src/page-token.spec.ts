import { createHmac } from 'node:crypto';

import fc from 'fast-check';

import type { SortComponent } from './compile-sql';
import { SearchSyntaxError } from './errors';
import { DEFAULT_TOKEN_SECRET, decodePageToken, encodePageToken, type PageTokenExpectation } from './page-token';

const components: SortComponent[] = [
  { sql: 'rank', descending: false, type: 'integer', nulls: 'never' },
  { sql: 'metric', descending: true, type: 'double precision', nulls: 'ranked' },
  { sql: 'param', descending: false, type: 'text', nulls: 'ranked' },
  { sql: 'start', descending: true, type: 'bigint', nulls: 'postgres' },
  { sql: 'id', descending: false, type: 'text', nulls: 'never' },
];
const expectation = { fingerprint: 'query-A', components };

function rejection(token: string, expected: PageTokenExpectation = expectation): string {
  try {
    decodePageToken(token, expected);
  } catch (error) {
    expect(error).toBeInstanceOf(SearchSyntaxError);
    expect((error as SearchSyntaxError).errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((error as SearchSyntaxError).field).toBe('page_token');
    return (error as SearchSyntaxError).message;
  }
  throw new Error('expected the token to be rejected');
}

/** Signs a payload the way only the server (which knows the secret) can. */
function signed(body: string, secret = DEFAULT_TOKEN_SECRET): string {
  const encoded = Buffer.from(body).toString('base64url');
  return `${encoded}.${createHmac('sha256', secret).update(encoded).digest('base64url').slice(0, 22)}`;
}

describe('page tokens', () => {
  it('round-trip every kind of sort value, ±Infinity and NULL included', () => {
    const values = fc.tuple(
      fc.integer({ min: 0, max: 2 }),
      fc.oneof(fc.double({ noNaN: true }), fc.constant(null)),
      fc.oneof(fc.string(), fc.constant(null)),
      fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String), fc.constant(null)),
      fc.string({ minLength: 1 }),
    );
    fc.assert(
      fc.property(values, (row) => {
        const token = encodePageToken('query-A', row);
        expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/u);
        expect(decodePageToken(token, expectation)).toEqual({ kind: 'keyset', values: row.map((v) => (Object.is(v, -0) ? 0 : v)) });
      }),
    );
  });

  it('rejects a token whose body was edited', () => {
    const token = encodePageToken('query-A', [0, 0.5, 'lr', '100', 'abc']);
    const [body = '', mac = ''] = token.split('.');
    const edited = Buffer.from(Buffer.from(body, 'base64url').toString('utf8').replace('abc', 'abd')).toString('base64url');
    expect(rejection(`${edited}.${mac}`)).toBe('Invalid page token, it is corrupted or was modified');
    expect(rejection(`${body}.${mac.slice(1)}`)).toBe('Invalid page token, it is corrupted or was modified');
  });

  it('rejects a token signed with another secret', () => {
    const token = encodePageToken('query-A', [0, 0.5, 'lr', '100', 'abc'], 'secret-1');
    expect(decodePageToken(token, { ...expectation, secret: 'secret-1' }).kind).toBe('keyset');
    expect(rejection(token, { ...expectation, secret: 'secret-2' })).toMatch(/corrupted or was modified/u);
  });

  it('rejects a token reused for a different search', () => {
    const token = encodePageToken('query-A', [0, 0.5, 'lr', '100', 'abc']);
    expect(rejection(token, { ...expectation, fingerprint: 'query-B' })).toMatch(/it belongs to a different search/u);
  });

  it.each<[string, unknown[]]>([
    ['too few values', [0, 0.5, 'lr', '100']],
    ['a rank that is not an integer', [0.5, 0.5, 'lr', '100', 'abc']],
    ['an int64 given as a number', [0, 0.5, 'lr', 100, 'abc']],
    ['an int64 out of range', [0, 0.5, 'lr', '9223372036854775808', 'abc']],
    ['NULL for a column that is never NULL', [0, 0.5, 'lr', '100', null]],
    ['a number for text', [0, 0.5, 'lr', '100', 5]],
    ['NaN smuggled in as text', [0, 'NaN', 'lr', '100', 'abc']],
  ])('rejects a signed token carrying %s', (_case, values) => {
    const token = encodePageToken('query-A', values as never);
    expect(rejection(token)).toBe('Invalid page token, its sort values do not match the order_by');
  });

  it('rejects validly signed tokens of another version or shape', () => {
    expect(rejection(signed(JSON.stringify({ v: 2, q: 'query-A', k: [] })))).toBe('Invalid page token, unsupported token version');
    expect(rejection(signed('[1, 2]'))).toBe('Invalid page token, unsupported token version');
    expect(rejection(signed('{"v": 1'))).toBe('Invalid page token, it is not a token issued by this server');
    expect(rejection(signed(JSON.stringify({ v: 1, q: 'query-A', k: 'abc' })))).toBe('Invalid page token, its sort values do not match the order_by');
  });

  it.each(['not a token!', 'abc.def.ghi', '....', 'eyJ'])('rejects garbage %j', (token) => {
    expect(rejection(token)).toMatch(/^Invalid page token, /u);
  });

  it('rejects absurdly long tokens before decoding them', () => {
    expect(rejection('a'.repeat(300_000))).toBe('Invalid page token, it is too long');
  });

  describe("MLflow's own offset tokens", () => {
    // Python: base64.b64encode(json.dumps({"offset": 1000}).encode("utf-8"))
    it.each([
      ['eyJvZmZzZXQiOiAxMDAwfQ==', 1000],
      [Buffer.from('{"offset": "20"}').toString('base64'), 20],
      [Buffer.from('{"offset": 0}').toString('base64'), 0],
    ])('accepts %s as offset %i', (token, offset) => {
      expect(decodePageToken(token, expectation)).toEqual({ kind: 'offset', offset });
    });

    it.each([
      Buffer.from('{"offset": -1}').toString('base64'),
      Buffer.from('{"offset": 1.5}').toString('base64'),
      Buffer.from('{"start": 10}').toString('base64'),
      Buffer.from('[10]').toString('base64'),
      Buffer.from('not json').toString('base64'),
    ])('rejects %s', (token) => {
      expect(rejection(token)).toBe('Invalid page token, it is not a token issued by this server');
    });
  });
});
