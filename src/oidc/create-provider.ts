import Provider from 'oidc-provider';

import { isStoreUnavailable } from '../http/store-unavailable.js';
import type { Logger } from '../logging/create-logger.js';
import { errorMessage } from '../logging/error-message.js';
import { loggedPath } from '../logging/logged-path.js';
import { buildProviderConfig, type ProviderConfigDeps } from './build-provider-config.js';
import type { TokenExchange } from './token-exchange.js';

/**
 * Creates the provider. Its request errors become audit records (audit/provider-audit.ts);
 * only unexpected server errors are logged here, with their stack, for operators.
 */
export function createProvider(deps: ProviderConfigDeps & { logger: Logger; tokenExchange: TokenExchange }): Provider {
  const provider = new Provider(deps.config.issuer, buildProviderConfig(deps));
  deps.tokenExchange.register(provider, deps.jwks);
  provider.proxy = deps.config.trustProxy.kind !== 'none';
  provider.on('server_error', (ctx, error) => {
    // A store outage is not a bug: no stack, and the answer becomes a 503 (http/store-unavailable.ts).
    if (isStoreUnavailable(error)) {
      ctx.state.storeUnavailable = true;
      deps.logger.warn({ err: { message: errorMessage(error) }, path: loggedPath(ctx.path) }, 'store unavailable');
      return;
    }
    deps.logger.error({ err: error }, 'provider server error');
  });
  return provider;
}
