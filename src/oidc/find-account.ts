import type { FindAccount } from 'oidc-provider';

import type { AccountClaimsCache } from '../accounts/account-claims-cache.js';
import type { AttributeDeclaration } from '../accounts/profile.js';
import { accountClaims } from './claims.js';

interface SignInFacts {
  readonly auth_time?: number;
  readonly amr?: string[];
}

function signInFactsOf(token: unknown): SignInFacts {
  // Access tokens carry auth_time and amr in `extra` (see extraTokenClaims); ID tokens get
  // them from the session, so only userinfo needs this.
  const extra = (token as { extra?: Record<string, unknown> } | undefined)?.extra;
  if (!extra) return {};
  return {
    ...(typeof extra.auth_time === 'number' ? { auth_time: extra.auth_time } : {}),
    ...(Array.isArray(extra.amr) ? { amr: extra.amr.filter((value): value is string => typeof value === 'string') } : {}),
  };
}

/** How the provider turns a `sub` into claims; disabled or deleted accounts resolve to nothing. */
export function createFindAccount(accounts: Pick<AccountClaimsCache, 'findForTokens'>, declared: Readonly<Record<string, AttributeDeclaration>>): FindAccount {
  return async (_ctx, sub, token) => {
    const account = await accounts.findForTokens(sub);
    if (!account || account.status !== 'active') return undefined;
    return {
      accountId: account.id,
      claims: () => ({ ...accountClaims(account, declared), ...signInFactsOf(token), sub: account.id }),
    };
  };
}
