import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';

import { ADMIN_SCOPE } from '../clients/client-service.js';
import { InsufficientScopeError, InvalidTokenError } from './admin-errors.js';

/** Who called the admin API: the client whose client-credentials token it presented. */
export interface AdminCaller {
  readonly clientId: string;
}

/**
 * Admin calls carry a client-credentials access token issued here, checked in-process: it must
 * exist, be unexpired, belong to a client that still exists, and hold the admin scope.
 */
export function createAdminAuth(deps: { provider: Provider }): Middleware {
  return async function requireAdminToken(ctx, next) {
    const header = ctx.get('authorization');
    const match = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
    if (!match?.[1]) {
      ctx.set('WWW-Authenticate', 'Bearer realm="latchkey-admin"');
      throw new InvalidTokenError();
    }
    const token = await deps.provider.ClientCredentials.find(match[1]);
    const clientId = token && !token.isExpired ? token.clientId : undefined;
    const client = clientId ? await deps.provider.Client.find(clientId) : undefined;
    if (!token || !clientId || !client) {
      ctx.set('WWW-Authenticate', 'Bearer realm="latchkey-admin", error="invalid_token"');
      throw new InvalidTokenError();
    }
    if (!String(token.scope ?? '').split(' ').includes(ADMIN_SCOPE)) {
      ctx.set('WWW-Authenticate', `Bearer realm="latchkey-admin", error="insufficient_scope", scope="${ADMIN_SCOPE}"`);
      throw new InsufficientScopeError();
    }
    const caller: AdminCaller = { clientId };
    ctx.state.adminCaller = caller;
    await next();
  };
}
