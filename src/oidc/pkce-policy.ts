import type { Configuration } from 'oidc-provider';

import type { AppConfig } from '../config/app-config.js';
import { PKCE_REQUIRED_PROPERTY } from './client-metadata.js';

interface PkceAware {
  readonly tokenEndpointAuthMethod?: string;
  readonly [PKCE_REQUIRED_PROPERTY]?: unknown;
}

/**
 * Whether an authorization request without a code_challenge is refused. A public client always
 * needs PKCE: it has no secret, so a stolen code is otherwise as good as a token. A confidential
 * client follows what an administrator set on it, else the operator's default; OpenID Connect
 * clients that do not send PKCE are protected by their secret and the nonce instead.
 */
export function createPkceRequired(config: Pick<AppConfig, 'pkce'>): NonNullable<NonNullable<Configuration['pkce']>['required']> {
  const byDefault = config.pkce.confidentialClients === 'required';
  return (_ctx, client) => {
    const aware = client as unknown as PkceAware;
    if (aware.tokenEndpointAuthMethod === 'none') return true;
    const set = aware[PKCE_REQUIRED_PROPERTY];
    return typeof set === 'boolean' ? set : byDefault;
  };
}
