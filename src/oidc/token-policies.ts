import { errors, type KoaContextWithOIDC } from 'oidc-provider';

import type { ResourceService } from '../resources/resource-service.js';

interface TokenOwner {
  readonly clientId?: string | undefined;
  readonly aud?: string | readonly string[] | undefined;
}

interface Caller {
  readonly clientId: string;
}

function audiencesOf(token: TokenOwner): readonly string[] {
  if (typeof token.aud === 'string') return [token.aud];
  return token.aud ?? [];
}

/**
 * Who may read a token's details: the client it was issued to, and the resource server it is
 * for (a client named as one of its introspectors). Introspection and token exchange both ask.
 */
export async function mayReadToken(resources: Pick<ResourceService, 'lookup'>, token: TokenOwner, clientId: string): Promise<boolean> {
  if (token.clientId === clientId) return true;
  for (const audience of audiencesOf(token)) {
    const resource = await resources.lookup(audience);
    if (resource?.introspectors.includes(clientId)) return true;
  }
  return false;
}

/**
 * Introspection answers only those who may read the token (mayReadToken). The provider's
 * default would let any confidential client read any token's details.
 */
export function createIntrospectionPolicy(resources: Pick<ResourceService, 'lookup'>) {
  return async function checkIntrospectionAllowed(_ctx: KoaContextWithOIDC, client: Caller, token: TokenOwner): Promise<boolean> {
    return mayReadToken(resources, token, client.clientId);
  };
}

/** Revocation by anyone but the token's own client is refused (RFC 7009 section 2.1). */
export async function checkRevocationAllowed(_ctx: KoaContextWithOIDC, client: Caller, token: TokenOwner): Promise<boolean> {
  if (token.clientId !== client.clientId) {
    throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
  }
  return true;
}
