import type { Configuration } from 'oidc-provider';

import { assertPublicHost } from './private-address.js';

type ProviderFetch = NonNullable<Configuration['fetch']>;

/**
 * The provider fetches client-supplied URLs (jwks_uri, sector_identifier_uri, request objects,
 * back-channel logout) through a guard that refuses loopback and private addresses, so a client
 * cannot point it at the inside of the network. Hosts an operator lists in PRIVATE_NETWORK_HOSTS
 * (relying parties on an internal network) skip that guard, matched on the URL's host[:port];
 * every other host keeps it.
 */
export function createOutboundFetch(privateNetworkHosts: readonly string[]): ProviderFetch {
  const allowed = new Set(privateNetworkHosts.map((host) => host.toLowerCase()));
  return async (input, options) => {
    const target = new URL(input instanceof Request ? input.url : input);
    if (allowed.has(target.host) || allowed.has(target.hostname)) {
      const { dispatcher: _guard, ...unguarded } = (options ?? {}) as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(input, unguarded);
    }
    // Checked here as well as by the provider's dispatcher: that one cannot be set up where
    // Node's global dispatcher is out of reach (a VM context), and then nothing would check.
    await assertPublicHost(target.hostname);
    return globalThis.fetch(input, options);
  };
}
