import { errors, type Configuration } from 'oidc-provider';

import type { ResourceService } from '../resources/resource-service.js';
import { CLIENT_RESOURCES_PROPERTY } from './client-metadata.js';

type ResourceIndicatorsFeature = NonNullable<NonNullable<Configuration['features']>['resourceIndicators']>;

/** Access tokens for resource servers are signed with ES256; RS256 stays for ID tokens. */
export const ACCESS_TOKEN_SIGNING_ALG = 'ES256';

/**
 * RFC 8707: a `resource` must be a registered resource server that this client may ask for;
 * its token then carries that audience, its scopes, lifetime and format (RFC 9068 JWT or opaque).
 * Without a `resource`, access tokens stay opaque and good for userinfo only.
 */
export function buildResourceIndicators(resources: Pick<ResourceService, 'lookup'>): ResourceIndicatorsFeature {
  return {
    enabled: true,
    defaultResource: (_ctx, _client, oneOf) => oneOf,
    useGrantedResource: () => true,
    async getResourceServerInfo(_ctx, indicator, client) {
      const resource = await resources.lookup(indicator);
      if (!resource) throw new errors.InvalidTarget('the resource is not a registered resource server');
      const allowed = (client as unknown as Record<string, unknown>)[CLIENT_RESOURCES_PROPERTY];
      if (!Array.isArray(allowed) || !allowed.includes(indicator)) {
        throw new errors.InvalidTarget('this client may not request tokens for the resource');
      }
      return {
        scope: resource.scopes.join(' '),
        audience: resource.identifier,
        accessTokenTTL: resource.ttlSeconds,
        accessTokenFormat: resource.format,
        ...(resource.format === 'jwt' ? { jwt: { sign: { alg: ACCESS_TOKEN_SIGNING_ALG } } } : {}),
      };
    },
  };
}
