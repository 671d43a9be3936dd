import type { AccountForTokens } from '../accounts/account-claims-cache.js';
import type { AttributeDeclaration } from '../accounts/profile.js';
import type { AppConfig } from '../config/app-config.js';

/** Which standard claims each scope releases (OpenID Connect Core 5.4). */
export const SCOPE_CLAIMS = {
  openid: ['sub', 'auth_time', 'amr', 'acr'],
  email: ['email', 'email_verified'],
  profile: [
    'name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website',
    'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
  ],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
} as const;

/** The provider's scope-to-claims map: the standard scopes plus each declared attribute's scope. */
export function buildScopeClaims(config: Pick<AppConfig, 'customClaims'>): Record<string, string[]> {
  const map: Record<string, string[]> = Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([scope, claims]) => [scope, [...claims]]));
  for (const [claim, declaration] of Object.entries(config.customClaims)) {
    (map[declaration.scope] ??= []).push(claim);
  }
  return map;
}

/**
 * Every claim an account can release; the provider keeps only what the granted scopes and the
 * claims parameter ask for. Empty fields are left out rather than sent as null.
 */
export function accountClaims(account: AccountForTokens, declared: Readonly<Record<string, AttributeDeclaration>>): Record<string, unknown> & { sub: string } {
  const attributes = Object.fromEntries(Object.entries(account.attributes).filter(([name]) => name in declared));
  return {
    sub: account.id,
    email: account.email,
    email_verified: account.emailVerified,
    ...(account.name ? { name: account.name } : {}),
    ...account.profile,
    ...attributes,
    updated_at: Math.floor(account.updatedAt.getTime() / 1000),
  };
}
