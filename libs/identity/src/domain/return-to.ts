/** Longer return paths are refused: nothing the web UI links to comes near it. */
const MAX_RETURN_TO_LENGTH = 2048;
const PLACEHOLDER_ORIGIN = 'http://cairn.invalid';

/**
 * Where the browser goes after signing in: only a path on this server, so /auth/login cannot be
 * turned into an open redirect. `//evil.example` (protocol-relative), `/\evil.example` (browsers
 * read the backslash as a slash), absolute URLs and control characters are refused; the checked,
 * normalised path is what is used. undefined when refused; `/` when nothing was asked for.
 */
export function safeReturnTo(value: unknown): string | undefined {
  if (value === undefined || value === '') return '/';
  if (typeof value !== 'string' || value.length > MAX_RETURN_TO_LENGTH) return undefined;
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value, PLACEHOLDER_ORIGIN);
  } catch {
    return undefined;
  }
  if (url.origin !== PLACEHOLDER_ORIGIN) return undefined;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // A normalised path that became protocol-relative (`/.//evil`) would leave the origin in a browser.
  return path.startsWith('//') ? undefined : path;
}
