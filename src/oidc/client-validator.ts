import Provider, { type AdapterPayload, type Configuration } from 'oidc-provider';

import type { AppConfig } from '../config/app-config.js';
import { generateSigningKey, toProviderJwks } from '../keys/key-set.js';
import { ADMIN_SCOPE } from '../clients/client-service.js';
import { checkExtraClientMetadata, EXTRA_CLIENT_PROPERTIES } from './client-metadata.js';

/** The client-related part of the provider policy, shared by the server and the validator below. */
export function buildClientPolicy(config: AppConfig): Pick<Configuration, 'scopes' | 'extraClientMetadata' | 'clientDefaults' | 'responseTypes'> {
  return {
    scopes: [...config.scopes, ADMIN_SCOPE],
    extraClientMetadata: { properties: [...EXTRA_CLIENT_PROPERTIES], validator: checkExtraClientMetadata },
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
 * oidc-provider's own client metadata validation, for tools that run without a server (the CLI):
 * a provider with the same client policy and a throwaway key, used for nothing else.
 */
export async function createClientValidator(config: AppConfig): Promise<(metadata: AdapterPayload) => Promise<void>> {
  const key = await generateSigningKey('ES256');
  const provider = new Provider(config.issuer, {
    ...buildClientPolicy(config),
    jwks: toProviderJwks({ keys: [key] }),
    features: { devInteractions: { enabled: false }, clientCredentials: { enabled: true } },
  });
  return async (metadata) => {
    await provider.Client.validate({ ...metadata, client_id: String(metadata.client_id ?? '') });
  };
}
