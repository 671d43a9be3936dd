import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

/** What the installed oidc-provider stores through its adapter, read from the library itself. */
export interface ProviderModels {
  /** Every model the provider reads or writes through an adapter (abstract bases left out). */
  readonly persisted: readonly string[];
  /** Models whose class calls adapter.consume(): their artifacts are redeemed once. */
  readonly consumable: readonly string[];
  /** Tokens that carry a grantId: revoking the grant must remove them. */
  readonly grantBound: readonly string[];
}

interface ModelClass {
  readonly name: string;
  readonly prototype: object;
  readonly IN_PAYLOAD?: readonly string[];
}

function isModelClass(value: unknown): value is ModelClass {
  return typeof value === 'function' && 'adapter' in value;
}

/**
 * Lists the models of a provider built from the installed library, so that the adapter
 * contract follows oidc-provider upgrades instead of a hand-kept list: a model the library
 * starts to consume or to bind to grants shows up here on the next `npm install`.
 */
export function readProviderModels(): ProviderModels {
  // Synchronous on purpose: jest needs the lists while it declares the tests.
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const provider = new Provider('http://127.0.0.1', {
    adapter: () => {
      throw new Error('models are only listed here, never stored');
    },
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), alg: 'ES256' }] },
    features: { devInteractions: { enabled: false } },
  });
  const models: ModelClass[] = [];
  for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(Provider.prototype))) {
    // Model classes are the capitalised getters; others (app, issuer...) are not read at all.
    if (!descriptor.get || !/^[A-Z]/.test(name)) continue;
    const value: unknown = descriptor.get.call(provider);
    if (isModelClass(value) && value.name === name) models.push(value);
  }
  // A class that other models extend (BaseToken) is never stored under its own name.
  const concrete = models.filter((model) => !models.some((other) => other !== model && other.prototype instanceof (model as unknown as abstract new () => object)));
  const baseToken = provider.BaseToken as unknown as abstract new () => object;
  return {
    persisted: concrete.map((model) => model.name).sort(),
    consumable: concrete.filter((model) => typeof (model.prototype as { consume?: unknown }).consume === 'function').map((model) => model.name).sort(),
    grantBound: concrete
      .filter((model) => model.prototype instanceof baseToken && (model.IN_PAYLOAD ?? []).includes('grantId'))
      .map((model) => model.name)
      .sort(),
  };
}
