import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { AdapterPayload } from 'oidc-provider';

import { ADMIN_CLIENT_PROPERTY, ADMIN_GENERATION_PROPERTY, ADMIN_SCOPE } from '../oidc/client-metadata.js';
import { InsufficientScopeError, InvalidTokenError } from './admin-errors.js';

/** Who called the admin API: the client whose client-credentials token it presented. */
export interface AdminCaller {
  readonly clientId: string;
}

const REALM = 'Bearer realm="latchkey-admin"';

/**
 * Admin calls carry an admin-scoped client-credentials access token issued here. The token must
 * exist and be unexpired, and its client must be, at this moment, a client an administrator
 * marked as admin, with the same admin generation the token was issued under: demoting,
 * deleting or rotating the secret of that client ends its tokens on the next call, on every
 * instance, because the client is read from its store rather than from a cache.
 */
export function createAdminAuth(deps: { provider: Provider; loadClientRecord: (clientId: string) => Promise<AdapterPayload | undefined> }): Middleware {
  return async function requireAdminToken(ctx, next) {
    const match = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i.exec(ctx.get('authorization'));
    if (!match?.[1]) {
      ctx.set('WWW-Authenticate', REALM);
      throw new InvalidTokenError();
    }
    const token = await deps.provider.ClientCredentials.find(match[1]);
    if (!token?.clientId || token.isExpired) {
      ctx.set('WWW-Authenticate', `${REALM}, error="invalid_token"`);
      throw new InvalidTokenError();
    }
    if (!String(token.scope ?? '').split(' ').includes(ADMIN_SCOPE)) {
      ctx.set('WWW-Authenticate', `${REALM}, error="insufficient_scope", scope="${ADMIN_SCOPE}"`);
      throw new InsufficientScopeError();
    }
    const client = await deps.loadClientRecord(token.clientId);
    const issuedUnder = token.extra?.[ADMIN_GENERATION_PROPERTY];
    const current = client?.[ADMIN_CLIENT_PROPERTY] === true ? client[ADMIN_GENERATION_PROPERTY] : undefined;
    if (typeof current !== 'string' || issuedUnder !== current) {
      ctx.set('WWW-Authenticate', `${REALM}, error="invalid_token", error_description="the admin rights this token was issued under have ended"`);
      throw new InvalidTokenError();
    }
    const caller: AdminCaller = { clientId: token.clientId };
    ctx.state.adminCaller = caller;
    await next();
  };
}
