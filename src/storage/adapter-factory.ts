import type { AdapterFactory } from 'oidc-provider';

import { DURABLE_MODELS } from './model-names.js';

/** Routes each oidc-provider model to its store: durable ones to one factory, the rest to another. */
export function createRoutingAdapterFactory(durable: AdapterFactory, ephemeral: AdapterFactory): AdapterFactory {
  return (model: string) => (DURABLE_MODELS.has(model) ? durable(model) : ephemeral(model));
}
