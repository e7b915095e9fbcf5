/** The browser session cookie (HttpOnly, SameSite=Lax, Secure behind https). */
export const SESSION_COOKIE = 'cairn_session';
/** Readable by the web UI's scripts, which echo it in X-CSRF-Token on writes (double submit). */
export const CSRF_COOKIE = 'cairn_csrf';
