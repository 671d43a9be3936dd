import Provider, { type AdapterFactory, type AdapterPayload, type Configuration } from 'oidc-provider';

import type { AppConfig } from '../config/app-config.js';
import { generateSigningKey, toProviderJwks } from '../keys/key-set.js';
import { ADMIN_SCOPE, createExtraClientMetadataCheck, EXTRA_CLIENT_PROPERTIES } from './client-metadata.js';
import { buildRegistrationPolicies } from './registration-policies.js';
import { FRONTCHANNEL_PROPERTIES } from './frontchannel-metadata.js';
import { declareTokenExchangeGrant } from './token-exchange.js';

/** The client-related part of the provider policy, shared by the server and the validator below. */
export function buildClientPolicy(config: AppConfig): Pick<Configuration, 'scopes' | 'extraClientMetadata' | 'clientDefaults' | 'responseTypes'> {
  return {
    scopes: [...config.scopes, ADMIN_SCOPE],
    extraClientMetadata: {
      properties: [...EXTRA_CLIENT_PROPERTIES, ...FRONTCHANNEL_PROPERTIES],
      validator: createExtraClientMetadataCheck({ defaultScope: config.scopes.join(' ') }),
    },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    // Authorization code only: no implicit or hybrid flows that put tokens in the front channel.
    responseTypes: ['code', 'none'],
  };
}

/**
 * A provider for tools that run without a server (the CLI): the same client policy over the
 * server's durable store, so it can validate client metadata and mint initial access tokens.
 * It never signs anything, so a throwaway key stands in for the key set.
 */
export async function createAdminProvider(config: AppConfig, adapter: AdapterFactory): Promise<Provider> {
  // Client validation checks that the ID token algorithm has a key: RS256 (the default) and
  // ES256 (FAPI 2.0 clients), as in the server's key set.
  const keys = await Promise.all([generateSigningKey('RS256'), generateSigningKey('ES256')]);
  const provider = new Provider(config.issuer, {
    ...buildClientPolicy(config),
    adapter,
    jwks: toProviderJwks({ keys }),
    ttl: { InitialAccessToken: config.ttl.initialAccessTokenSeconds },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      registration: { enabled: true, initialAccessToken: true, policies: buildRegistrationPolicies(config) },
    },
  });
  declareTokenExchangeGrant(provider);
  return provider;
}

/** oidc-provider's own validation of client metadata, so that a stored client always loads. */
export function createClientValidator(provider: Provider): (metadata: AdapterPayload) => Promise<void> {
  return async (metadata) => {
    await provider.Client.validate({ ...metadata, client_id: String(metadata.client_id ?? '') });
  };
}
