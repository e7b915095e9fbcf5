import { safeReturnTo } from './return-to';

describe('return_to after sign-in', () => {
  it('keeps a path on this server, with its query and fragment', () => {
    expect(safeReturnTo('/#/experiments/7?tab=runs')).toBe('/#/experiments/7?tab=runs');
    expect(safeReturnTo('/models/churn?version=3')).toBe('/models/churn?version=3');
  });

  it('sends the browser home when nothing was asked for', () => {
    expect(safeReturnTo(undefined)).toBe('/');
    expect(safeReturnTo('')).toBe('/');
  });

  it.each([
    ['a protocol-relative URL', '//evil.example/phish'],
    ['an absolute URL', 'https://evil.example/'],
    ['a scheme', 'javascript:alert(1)'],
    ['a backslash browsers read as a slash', '/\\evil.example'],
    ['an encoded-looking backslash path', '\\\\evil.example'],
    ['a relative path', 'experiments/7'],
    ['a control character', '/ok\r\nLocation: https://evil.example'],
    ['a tab inside the host part', '/\t/evil.example'],
  ])('refuses %s', (_, value) => {
    expect(safeReturnTo(value)).toBeUndefined();
  });

  it('refuses a path that normalises to a protocol-relative one', () => {
    expect(safeReturnTo('/.//evil.example')).toBeUndefined();
  });

  it('normalises dot segments before using the path', () => {
    expect(safeReturnTo('/a/../b')).toBe('/b');
  });

  it('refuses values that are not one string', () => {
    expect(safeReturnTo(['/a', '/b'])).toBeUndefined();
    expect(safeReturnTo('/' + 'a'.repeat(5000))).toBeUndefined();
  });
});
