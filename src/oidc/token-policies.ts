import { errors, type KoaContextWithOIDC } from 'oidc-provider';

interface TokenOwner {
  readonly clientId?: string | undefined;
}

interface Caller {
  readonly clientId: string;
}

/**
 * Introspection answers only the client the token was issued to. The provider's default lets
 * any confidential client read any token's details; resource servers get their own rule when
 * they are registered.
 */
export async function checkIntrospectionAllowed(_ctx: KoaContextWithOIDC, client: Caller, token: TokenOwner): Promise<boolean> {
  return token.clientId === client.clientId;
}

/** Revocation by anyone but the token's own client is refused (RFC 7009 section 2.1). */
export async function checkRevocationAllowed(_ctx: KoaContextWithOIDC, client: Caller, token: TokenOwner): Promise<boolean> {
  if (token.clientId !== client.clientId) {
    throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
  }
  return true;
}
