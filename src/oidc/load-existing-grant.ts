import type { Grant, KoaContextWithOIDC } from 'oidc-provider';

import type { RememberedConsents } from './remembered-consents.js';

interface FirstPartyAware {
  readonly first_party?: unknown;
}

/**
 * Finds the grant that decides whether consent is needed: this interaction's, this session's,
 * or one the account gave the client in an earlier session. First-party clients get a grant
 * for what they ask without a consent page.
 */
export function createLoadExistingGrant(consents: RememberedConsents, grantTtlSeconds: number) {
  return async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
    const { client, session, provider } = ctx.oidc;
    const accountId = session?.accountId;
    if (!client || !session || !accountId) return undefined;

    const grantId = ctx.oidc.result?.consent?.grantId
      ?? session.grantIdFor(client.clientId)
      ?? (await consents.find(accountId, client.clientId));
    if (grantId) {
      const grant = await provider.Grant.find(grantId);
      // A grant of another account (the session changed user) never carries over.
      if (grant && grant.accountId === accountId && grant.clientId === client.clientId) return grant;
    }

    if ((client as unknown as FirstPartyAware).first_party === true) {
      const grant = new provider.Grant({ accountId, clientId: client.clientId });
      const scope = ctx.oidc.params?.scope;
      if (typeof scope === 'string') grant.addOIDCScope(scope);
      const claims = ctx.oidc.claims as { id_token?: Record<string, unknown>; userinfo?: Record<string, unknown> } | undefined;
      const requestedClaims = [...Object.keys(claims?.id_token ?? {}), ...Object.keys(claims?.userinfo ?? {})];
      if (requestedClaims.length > 0) grant.addOIDCClaims(requestedClaims);
      const savedId = await grant.save();
      await consents.remember(accountId, client.clientId, savedId, grantTtlSeconds);
      return grant;
    }
    return undefined;
  };
}
