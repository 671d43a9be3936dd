import type { JWK } from 'jose';

import type { SigningAlgorithm } from './key-set.js';

/** A signing key as stored: the private JWK encrypted under DATA_ENCRYPTION_KEY, the times in clear. */
export interface StoredSigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateJwkEncrypted: string;
  readonly publicJwk: JWK;
  readonly createdAt: Date;
  readonly activatesAt: Date;
  readonly deactivatesAt: Date | null;
  readonly retiresAt: Date | null;
}

/**
 * Where every instance finds the signing keys (MongoDB; memory in development). Writes are
 * conditional so that instances need no coordination beyond the store itself.
 */
export interface SigningKeyStore {
  list(): Promise<StoredSigningKey[]>;
  /** False when a key with this kid exists already. */
  insert(key: StoredSigningKey): Promise<boolean>;
  /** Sets when the key stops signing and leaves the JWKS, only if no successor was scheduled yet. */
  scheduleSuccession(kid: string, times: { readonly deactivatesAt: Date; readonly retiresAt: Date }): Promise<boolean>;
  /** Swaps the ciphertext only if it is still `expected` (re-encryption under a new data key). */
  replaceCiphertext(kid: string, expected: string, next: string): Promise<boolean>;
  remove(kid: string): Promise<void>;
}
