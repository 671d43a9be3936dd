import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

import type { DataCipher } from '../accounts/data-cipher.js';

const SEALED_FIELD = 'latchkey_client_secret_sealed';

function purposeFor(clientId: string): string {
  return `client-secret:${clientId}`;
}

/**
 * Client secrets are stored encrypted under DATA_ENCRYPTION_KEY, not hashed: oidc-provider
 * compares the stored secret itself and also uses it as the key for client_secret_jwt and HS*
 * algorithms, and offers no supported hook to compare a hash instead.
 */
export function sealClientSecret(cipher: DataCipher, clientId: string, payload: AdapterPayload): AdapterPayload {
  const { client_secret: secret, ...rest } = payload;
  if (typeof secret !== 'string') return payload;
  return { ...rest, [SEALED_FIELD]: cipher.encrypt(secret, purposeFor(clientId)) };
}

export function unsealClientSecret(cipher: DataCipher, clientId: string, payload: AdapterPayload): AdapterPayload {
  const { [SEALED_FIELD]: sealed, ...rest } = payload as AdapterPayload & Record<typeof SEALED_FIELD, unknown>;
  if (typeof sealed !== 'string') return payload;
  return { ...rest, client_secret: cipher.decrypt(sealed, purposeFor(clientId)) };
}

/** The stored field that holds a client secret's ciphertext. */
export const SEALED_SECRET_FIELD = SEALED_FIELD;

/** A sealed secret under the current key (bound to its client), or undefined if it is already. */
export function resealClientSecret(cipher: DataCipher, clientId: string, sealed: string): string | undefined {
  if (cipher.isCurrent(sealed)) return undefined;
  return cipher.encrypt(cipher.decrypt(sealed, purposeFor(clientId)), purposeFor(clientId));
}

/** Strips the sealed secret from stored metadata, for listings that never show secrets. */
export function withoutSealedSecret(payload: AdapterPayload): AdapterPayload {
  const { [SEALED_FIELD]: _sealed, client_secret: _secret, ...rest } = payload as AdapterPayload & Record<typeof SEALED_FIELD, unknown>;
  return rest;
}

class SealedClientAdapter implements Adapter {
  readonly #inner: Adapter;
  readonly #cipher: DataCipher;

  constructor(inner: Adapter, cipher: DataCipher) {
    this.#inner = inner;
    this.#cipher = cipher;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    await this.#inner.upsert(id, sealClientSecret(this.#cipher, id, payload), expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const payload = await this.#inner.find(id);
    return payload ? unsealClientSecret(this.#cipher, id, payload) : undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return (await this.#inner.findByUid(uid)) ?? undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return (await this.#inner.findByUserCode(userCode)) ?? undefined;
  }

  async consume(id: string): Promise<void> {
    await this.#inner.consume(id);
  }

  async destroy(id: string): Promise<void> {
    await this.#inner.destroy(id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#inner.revokeByGrantId(grantId);
  }
}

/** Wraps the durable store so that the Client model's secrets are encrypted at rest. */
export function createSealedClientAdapterFactory(inner: AdapterFactory, cipher: DataCipher): AdapterFactory {
  return (model: string) => (model === 'Client' ? new SealedClientAdapter(inner(model), cipher) : inner(model));
}
