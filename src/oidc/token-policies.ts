import { errors, type KoaContextWithOIDC } from 'oidc-provider';

import type { ResourceService } from '../resources/resource-service.js';

interface TokenOwner {
  readonly clientId?: string | undefined;
  readonly aud?: string | string[] | undefined;
}

interface Caller {
  readonly clientId: string;
}

function audiencesOf(token: TokenOwner): string[] {
  if (Array.isArray(token.aud)) return token.aud;
  return typeof token.aud === 'string' ? [token.aud] : [];
}

/**
 * Introspection answers the client the token was issued to, and the resource server the token
 * is for (a client named as one of its introspectors). The provider's default would let any
 * confidential client read any token's details.
 */
export function createIntrospectionPolicy(resources: Pick<ResourceService, 'lookup'>) {
  return async function checkIntrospectionAllowed(_ctx: KoaContextWithOIDC, client: Caller, token: TokenOwner): Promise<boolean> {
    if (token.clientId === client.clientId) return true;
    for (const audience of audiencesOf(token)) {
      const resource = await resources.lookup(audience);
      if (resource?.introspectors.includes(client.clientId)) return true;
    }
    return false;
  };
}

/** Revocation by anyone but the token's own client is refused (RFC 7009 section 2.1). */
export async function checkRevocationAllowed(_ctx: KoaContextWithOIDC, client: Caller, token: TokenOwner): Promise<boolean> {
  if (token.clientId !== client.clientId) {
    throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
  }
  return true;
}
