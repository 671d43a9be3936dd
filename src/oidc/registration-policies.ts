import { errors, type KoaContextWithOIDC } from 'oidc-provider';

import type { AppConfig, RegistrationPolicy } from '../config/app-config.js';

type PolicyCheck = (ctx: KoaContextWithOIDC, properties: Record<string, unknown>) => void;

// oidc-provider's default when a registration names no grant types.
const DEFAULT_GRANT_TYPES = ['authorization_code'];

function applyPolicy(name: string, policy: RegistrationPolicy, properties: Record<string, unknown>): void {
  const grantTypes = Array.isArray(properties.grant_types) ? (properties.grant_types as unknown[]) : DEFAULT_GRANT_TYPES;
  for (const grant of grantTypes) {
    if (!policy.grantTypes.some((allowed) => allowed === grant)) {
      throw new errors.InvalidClientMetadata(`grant_type ${String(grant)} is not allowed by the registration policy "${name}" (allowed: ${policy.grantTypes.join(', ')})`);
    }
  }
  const scopes = typeof properties.scope === 'string' ? properties.scope.split(' ').filter(Boolean) : [];
  if (scopes.length === 0) {
    properties.scope = policy.scopes.join(' ');
    return;
  }
  for (const scope of scopes) {
    if (!policy.scopes.includes(scope)) {
      throw new errors.InvalidClientMetadata(`scope ${scope} is not allowed by the registration policy "${name}" (allowed: ${policy.scopes.join(' ')})`);
    }
  }
}

/**
 * The registration policies an initial access token can name (`initial-access-token create
 * --policy NAME`): oidc-provider runs them on the registration and again on every RFC 7592
 * update, since the registration access token inherits them.
 */
export function buildRegistrationPolicies(config: Pick<AppConfig, 'registrationPolicies'>): Record<string, PolicyCheck> {
  return Object.fromEntries(Object.entries(config.registrationPolicies).map(([name, policy]) => [name, (_ctx: KoaContextWithOIDC, properties: Record<string, unknown>) => applyPolicy(name, policy, properties)]));
}
