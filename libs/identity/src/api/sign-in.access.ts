import { PUBLIC, type AccessTable } from '@cairn/contracts';
import type { SignInController } from './sign-in.controller';

/**
 * Signing in needs no credentials (that is its point); the session and sign-out routes check the
 * session cookie themselves, so a stale cookie never locks a browser out of signing in again.
 */
export const SIGN_IN_ACCESS: AccessTable<SignInController> = {
  login: PUBLIC,
  callback: PUBLIC,
  session: PUBLIC,
  logout: PUBLIC,
};
