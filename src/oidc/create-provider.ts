import Provider from 'oidc-provider';

import type { Logger } from '../logging/create-logger.js';
import { buildProviderConfig, type ProviderConfigDeps } from './build-provider-config.js';

/** Events whose error detail belongs in the log (never in a response). */
const ERROR_EVENTS = [
  'server_error',
  'grant.error',
  'introspection.error',
  'revocation.error',
  'registration_create.error',
  'registration_read.error',
  'registration_update.error',
  'registration_delete.error',
  'authorization.error',
  'end_session.error',
  'userinfo.error',
  'jwks.error',
  'discovery.error',
] as const;

function describe(error: unknown): { name: string; message: string; status?: number } {
  if (error instanceof Error) {
    const status = (error as { status?: unknown }).status;
    return { name: error.name, message: error.message, ...(typeof status === 'number' ? { status } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

/** Creates the provider and wires its error events into the log. */
export function createProvider(deps: ProviderConfigDeps & { logger: Logger }): Provider {
  const provider = new Provider(deps.config.issuer, buildProviderConfig(deps));
  provider.proxy = deps.config.trustProxy;
  // The typed overloads cover one event name each; as an EventEmitter the provider takes them all.
  const events: NodeJS.EventEmitter = provider;
  for (const event of ERROR_EVENTS) {
    events.on(event, (_ctx: unknown, error: unknown) => {
      const detail = describe(error);
      if (event === 'server_error') {
        deps.logger.error({ event, err: error }, 'provider server error');
      } else {
        deps.logger.info({ event, error: detail }, 'provider request rejected');
      }
    });
  }
  return provider;
}
