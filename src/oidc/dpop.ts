import type { Configuration } from 'oidc-provider';

import type { AppConfig } from '../config/app-config.js';

/** The setting (settings/shared-key.ts) whose key DPoP nonces are derived from. */
export const DPOP_NONCE_KEY_SETTING = 'dpop-nonce-key';

type DpopFeature = NonNullable<NonNullable<Configuration['features']>['dPoP']>;

/**
 * DPoP (RFC 9449). Nonces are not stored: oidc-provider derives each minute's nonce from the
 * key with HKDF and accepts the last few minutes' (about five). Every instance holds the same
 * key, so a nonce one instance hands out in DPoP-Nonce is good at all of them.
 */
export function buildDpopFeature(config: Pick<AppConfig, 'dpop'>, nonceKey: Buffer): DpopFeature {
  const required = config.dpop.nonces === 'required';
  return { enabled: true, nonceSecret: nonceKey, requireNonce: () => required };
}
