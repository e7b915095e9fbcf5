/** The browser session cookie (HttpOnly, SameSite=Lax, Secure behind https). */
export const SESSION_COOKIE = 'cairn_session';
/** Readable by the web UI's scripts, which echo it in X-CSRF-Token on writes (double submit). */
export const CSRF_COOKIE = 'cairn_csrf';

/**
 * Set-Cookie values for a new session: the session id HttpOnly (scripts never see it), the CSRF
 * token readable; both SameSite=Lax (sent on the IdP's redirect back, not on other sites' posts),
 * Secure when the server is reached over https.
 */
export function sessionCookies(session: { sessionId: string; csrfToken: string }, maxAgeS: number, secure: boolean): string[] {
  const attributes = `Path=/; Max-Age=${maxAgeS}; SameSite=Lax${secure ? '; Secure' : ''}`;
  return [`${SESSION_COOKIE}=${session.sessionId}; ${attributes}; HttpOnly`, `${CSRF_COOKIE}=${session.csrfToken}; ${attributes}`];
}

/** Set-Cookie values that remove both cookies (sign-out). */
export function clearedCookies(secure: boolean): string[] {
  return sessionCookies({ sessionId: '', csrfToken: '' }, 0, secure);
}
