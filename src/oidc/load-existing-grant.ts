import type { Grant, KoaContextWithOIDC } from 'oidc-provider';

import type { RememberedConsents } from './remembered-consents.js';

interface FirstPartyAware {
  readonly first_party?: unknown;
}

/**
 * Finds the grant that decides whether consent is needed: this interaction's or this session's.
 * A session without one gets a new grant of its own, seeded with what the account consented to
 * before (on any device) and, for a first-party client, with what it asks for; so consent is
 * remembered across devices while no two sessions share a grant.
 */
export function createLoadExistingGrant(consents: RememberedConsents) {
  return async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
    const { client, session, provider } = ctx.oidc;
    const accountId = session?.accountId;
    if (!client || !session || !accountId) return undefined;

    const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
    if (grantId) {
      const grant = await provider.Grant.find(grantId);
      // A grant of another account (the session changed user) never carries over.
      if (grant && grant.accountId === accountId && grant.clientId === client.clientId) return grant;
    }

    const remembered = await consents.find(accountId, client.clientId);
    const firstParty = (client as unknown as FirstPartyAware).first_party === true;
    if (!remembered && !firstParty) return undefined;

    const grant = new provider.Grant({ accountId, clientId: client.clientId });
    if (remembered) {
      if (remembered.scope) grant.addOIDCScope(remembered.scope);
      if (remembered.claims.length > 0) grant.addOIDCClaims([...remembered.claims]);
      for (const [resource, scope] of Object.entries(remembered.resources)) grant.addResourceScope(resource, scope);
    }
    if (firstParty) {
      const scope = ctx.oidc.params?.scope;
      if (typeof scope === 'string') grant.addOIDCScope(scope);
      const claims = ctx.oidc.claims as { id_token?: Record<string, unknown>; userinfo?: Record<string, unknown> } | undefined;
      const requestedClaims = [...Object.keys(claims?.id_token ?? {}), ...Object.keys(claims?.userinfo ?? {})];
      if (requestedClaims.length > 0) grant.addOIDCClaims(requestedClaims);
    }
    await grant.save();
    return grant;
  };
}
