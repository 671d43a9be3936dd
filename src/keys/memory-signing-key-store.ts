import type { SigningKeyStore, StoredSigningKey } from './signing-key-store.js';

/** The signing key store of a development server without MongoDB. */
export function createMemorySigningKeyStore(): SigningKeyStore {
  const keys = new Map<string, StoredSigningKey>();
  return {
    async list() {
      return [...keys.values()].map((key) => ({ ...key }));
    },
    async insert(key) {
      if (keys.has(key.kid)) return false;
      keys.set(key.kid, { ...key });
      return true;
    },
    async scheduleSuccession(kid, times) {
      const key = keys.get(kid);
      if (!key || key.deactivatesAt !== null) return false;
      keys.set(kid, { ...key, deactivatesAt: times.deactivatesAt, retiresAt: times.retiresAt });
      return true;
    },
    async replaceCiphertext(kid, expected, next) {
      const key = keys.get(kid);
      if (key?.privateJwkEncrypted !== expected) return false;
      keys.set(kid, { ...key, privateJwkEncrypted: next });
      return true;
    },
    async remove(kid) {
      keys.delete(kid);
    },
  };
}
