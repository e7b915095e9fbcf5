import fc from 'fast-check';
import { decodeUntilStable, normaliseArtifactPath, percentDecodeOnce, resolveArtifactPath, UnsafeArtifactPathError } from './artifact-path';

// Attack shapes from MLflow's CVE history (shared/reference/reliability.md §1.2 A and §6.3 B1–B6).
const HOSTILE = [
  // B1 plain traversal
  '../../../../etc/passwd',
  'a/../../b',
  '..',
  '../',
  'a/..',
  'a/b/../../../c',
  // B2 absolute, drive, UNC
  '/etc/passwd',
  '//etc/passwd',
  'C:\\Windows\\win.ini',
  'C:/Windows/win.ini',
  'C:foo',
  '\\\\server\\share',
  // B3 backslash separators (CVE-2023-6909 / 6831)
  '..\\..\\etc\\passwd',
  'a\\..\\..\\b',
  '\\..\\filename',
  // B4 encodings until stable (PR #10650, CVE-2024-1560)
  '%2e%2e%2f%2e%2e%2fetc',
  '%2E%2E%2F',
  '..%2f..%2f',
  '..%2F..%2Fetc%2Fpasswd',
  '%252e%252e%252f',
  '%25252e%25252e%25252f',
  '%2e%2e/etc',
  '.%2e/x',
  '%2fetc%2fpasswd',
  '%5c..%5c..%5cetc',
  'a%5c..%5cb',
  'file:///etc/passwd',
  'file%3a%2f%2f%2fetc%2fpasswd',
  // B5 fragment / query / params smuggling
  'a#/../../x',
  'a?x=../../',
  'a;/../../x',
  // B6 NUL and control characters
  'a%00.txt',
  'a\u0000b',
  'a\u0017b',
  'a%0a/../b',
  'model.pkl%00.txt',
  'x'.repeat(10_000),
  Array.from({ length: 1000 }, () => 'a').join('/'),
  // Unicode compatibility forms that become `..` or `/` under NFKC
  '\uff0e\uff0e/etc',
  'a\uff0f..\uff0fb',
  '\u2025/etc',
];

describe('normaliseArtifactPath', () => {
  it.each(HOSTILE.map((p) => [JSON.stringify(p).slice(0, 80), p]))('refuses %s', (_label, hostile) => {
    expect(() => normaliseArtifactPath(hostile)).toThrow(UnsafeArtifactPathError);
  });

  it('refuses with a 400 INVALID_PARAMETER_VALUE that does not echo the path', () => {
    try {
      normaliseArtifactPath('../<script>');
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(UnsafeArtifactPathError);
      const e = error as UnsafeArtifactPathError;
      expect(e.httpStatus).toBe(400);
      expect(e.toJSON().error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(e.message).not.toContain('<script>');
    }
  });

  it.each([
    ['model/MLmodel', 'model/MLmodel'],
    ['1/0123456789abcdef0123456789abcdef/artifacts/report.html', '1/0123456789abcdef0123456789abcdef/artifacts/report.html'],
    ['a//b', 'a/b'],
    ['./a/./b/', 'a/b'],
    ['report%20final.html', 'report final.html'],
    ['100%.txt', '100%.txt'],
    ['%zz', '%zz'],
    ['...', '...'],
    ['a..b/c..', 'a..b/c..'],
    ['.hidden', '.hidden'],
    ['über/データ.csv', 'über/データ.csv'],
    ['checkpoints/epoch=3-step=100.ckpt', 'checkpoints/epoch=3-step=100.ckpt'],
  ])('accepts %j as %j', (input, expected) => {
    expect(normaliseArtifactPath(input)).toBe(expected);
  });

  it('refuses the empty path unless the root is allowed', () => {
    expect(() => normaliseArtifactPath('')).toThrow(UnsafeArtifactPathError);
    expect(normaliseArtifactPath('', { allowRoot: true })).toBe('');
    expect(normaliseArtifactPath('./', { allowRoot: true })).toBe('');
  });
});

describe('decoding', () => {
  it('decodes like Python unquote: valid runs as UTF-8, malformed left alone', () => {
    expect(percentDecodeOnce('%C3%BCber%2')).toBe('über%2');
    expect(decodeUntilStable('%25252e')).toBe('.');
  });

  it('gives up on a value still changing after 10 rounds', () => {
    let deep = '.';
    for (let i = 0; i < 12; i++) deep = encodeURIComponent(deep).replace(/\./g, '%2e');
    expect(() => decodeUntilStable(deep)).toThrow(UnsafeArtifactPathError);
  });
});

describe('resolveArtifactPath', () => {
  const root = '1/0123456789abcdef0123456789abcdef/artifacts';

  it('returns the checked path relative to the root', () => {
    expect(resolveArtifactPath(root, 'model/../model/MLmodel'.replace('/../model', ''))).toBe('model/MLmodel');
    expect(() => resolveArtifactPath(root, '../../other-run/artifacts/x')).toThrow(UnsafeArtifactPathError);
  });
});

// Properties: whatever the input, an accepted path is in canonical form and cannot climb.
describe('properties', () => {
  const segment = fc.oneof(
    fc.constantFrom('..', '.', '', '%2e%2e', '%252e%252e', '%2f', '%5c', '\\', '/', '..%2f', '%00', 'C:', '#', '\u0000', '\uff0e\uff0e'),
    fc.string({ maxLength: 6 }),
  );
  const anyPath = fc.array(segment, { maxLength: 8 }).map((parts) => parts.join(fc.sample(fc.constantFrom('/', '\\', '%2f', '//'), 1)[0] ?? '/'));

  it('an accepted path has no empty, `.` or `..` segment, no backslash, NUL or leading slash, and is a fixed point', () => {
    fc.assert(
      fc.property(anyPath, (input) => {
        let out: string;
        try {
          out = normaliseArtifactPath(input, { allowRoot: true });
        } catch (error) {
          return error instanceof UnsafeArtifactPathError;
        }
        if (out === '') return true;
        const segments = out.split('/');
        return (
          !segments.some((s) => s === '' || s === '.' || s === '..') &&
          !out.includes('\\') &&
          !out.includes('\u0000') &&
          !out.startsWith('/') &&
          // Idempotent: checking the checked form changes nothing, so no layer can decode it further.
          normaliseArtifactPath(out) === out &&
          decodeUntilStable(out) === out
        );
      }),
      { numRuns: 3000 },
    );
  });

  it('any path built with a `..` segment in any encoding is refused', () => {
    const dotdot = fc.constantFrom('..', '%2e%2e', '%2E%2e', '.%2e', '%2e.', '%252e%252e', '%25252e%25252e');
    const sep = fc.constantFrom('/', '%2f', '%2F', '%252f');
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z0-9_.-]{1,8}$/), { maxLength: 4 }),
        dotdot,
        sep,
        fc.array(fc.stringMatching(/^[a-z0-9_-]{1,8}$/), { maxLength: 4 }),
        (before, up, s, after) => {
          const input = [...before, up, ...after].join(s);
          expect(() => normaliseArtifactPath(input)).toThrow(UnsafeArtifactPathError);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
