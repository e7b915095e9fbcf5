import { AUTHENTICATED, type AccessTable } from '@cairn/contracts';
import type { TokensController } from './tokens.controller';

/** Anyone signed in manages their own tokens; minting for others, or admin tokens, is checked in IdentityService. */
export const TOKENS_ACCESS: AccessTable<TokensController> = {
  create: AUTHENTICATED,
  list: AUTHENTICATED,
  revoke: AUTHENTICATED,
};
