import type { KoaContextWithOIDC } from 'oidc-provider';

import { ADMIN_GENERATION_PROPERTY, ADMIN_SCOPE } from './client-metadata.js';

interface IssuedToken {
  readonly kind?: string;
  readonly scope?: string | undefined;
}

/**
 * Stamps an admin-scoped client-credentials token with its client's admin generation, so the
 * admin API can tell whether the token was issued under the admin rights and secret that hold
 * now (see clients/client-service.ts); a token without the stamp never opens /admin/v1.
 */
export function buildAdminTokenClaims(ctx: KoaContextWithOIDC, token: IssuedToken): Record<string, unknown> | undefined {
  if (token.kind !== 'ClientCredentials' || !(token.scope ?? '').split(' ').includes(ADMIN_SCOPE)) return undefined;
  const generation = (ctx.oidc.client as unknown as Record<string, unknown> | undefined)?.[ADMIN_GENERATION_PROPERTY];
  return typeof generation === 'string' ? { [ADMIN_GENERATION_PROPERTY]: generation } : undefined;
}
