import type { DataKey } from '../config/app-config.js';
import { createDataCipher } from '../accounts/data-cipher.js';
import type { CanaryStore, DataKeyCanary } from './canary-store.js';

const CANARY_PLAINTEXT = 'latchkey data encryption key canary';
const canaryPurpose = (keyId: string): string => `canary:${keyId}`;

/** DATA_ENCRYPTION_KEY does not fit the data: starting would only fail later, at a sign-in. */
export class DataKeyMismatchError extends Error {
  constructor(message: string) {
    super(`DATA_ENCRYPTION_KEY: ${message}`);
    this.name = 'DataKeyMismatchError';
  }
}

export interface DataKeyCheckDeps {
  readonly keys: readonly DataKey[];
  readonly canaries: CanaryStore;
  /**
   * Whether an existing secret decrypts under the listed keys (undefined when there is none): a
   * database that holds secrets from before canaries existed is checked this way once.
   */
  readonly probeExisting: () => Promise<boolean | undefined>;
}

/**
 * Checks at start that every listed key is the one that wrote this database's canary under its
 * id, and that no key this database still depends on has been dropped from the list; then
 * writes a canary for each listed key that has none yet.
 */
function verifyCanaries(stored: readonly DataKeyCanary[], byId: ReadonlyMap<string, DataKey>): void {
  for (const canary of stored) {
    const key = byId.get(canary.keyId);
    if (!key) {
      throw new DataKeyMismatchError(
        `key id "${canary.keyId}" encrypted data in this database but is not listed; list it again after the new key until \`latchkey secrets reencrypt\` says nothing needs it`,
      );
    }
    let plaintext: string | undefined;
    try {
      plaintext = createDataCipher([key]).decrypt(canary.ciphertext, canaryPurpose(key.id));
    } catch {
      plaintext = undefined;
    }
    if (plaintext !== CANARY_PLAINTEXT) {
      throw new DataKeyMismatchError(`the key listed as "${key.id}" is not the key this database was set up with under that id`);
    }
  }
}

export async function checkDataKeys(deps: DataKeyCheckDeps): Promise<void> {
  const byId = new Map(deps.keys.map((key) => [key.id, key]));
  const stored = await deps.canaries.list();
  verifyCanaries(stored, byId);
  const missing = deps.keys.filter((key) => !stored.some((canary) => canary.keyId === key.id));
  if (missing.length === 0) return;
  if (stored.length === 0 && (await deps.probeExisting()) === false) {
    throw new DataKeyMismatchError('stored secrets do not decrypt with any listed key: this is not the key this database was set up with');
  }
  let raced = false;
  for (const key of missing) {
    const inserted = await deps.canaries.insert({ keyId: key.id, ciphertext: createDataCipher([key]).encrypt(CANARY_PLAINTEXT, canaryPurpose(key.id)), createdAt: new Date() });
    raced ||= !inserted;
  }
  // Another instance wrote a canary first: it must be one our key opens.
  if (raced) verifyCanaries(await deps.canaries.list(), byId);
}
