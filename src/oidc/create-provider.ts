import Provider from 'oidc-provider';

import type { Logger } from '../logging/create-logger.js';
import { buildProviderConfig, type ProviderConfigDeps } from './build-provider-config.js';

/**
 * Creates the provider. Its request errors become audit records (audit/provider-audit.ts);
 * only unexpected server errors are logged here, with their stack, for operators.
 */
export function createProvider(deps: ProviderConfigDeps & { logger: Logger }): Provider {
  const provider = new Provider(deps.config.issuer, buildProviderConfig(deps));
  provider.proxy = deps.config.trustProxy.kind !== 'none';
  provider.on('server_error', (_ctx, error) => {
    deps.logger.error({ err: error }, 'provider server error');
  });
  return provider;
}
