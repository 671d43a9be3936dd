import { randomBytes } from 'node:crypto';

import type { DataCipher } from '../accounts/data-cipher.js';
import type { SettingStore } from './setting-store.js';

/**
 * A random 32-byte key that every instance must hold the same of, made by the first instance
 * to need it and kept in the setting store, encrypted under DATA_ENCRYPTION_KEY and bound to its
 * name (a ciphertext moved to another setting does not open).
 */
export async function loadSharedKey(settings: SettingStore, cipher: DataCipher, name: string): Promise<Buffer> {
  const candidate = cipher.encrypt(randomBytes(32).toString('base64url'), name);
  const stored = await settings.getOrCreate(name, candidate);
  return Buffer.from(cipher.decrypt(stored, name), 'base64url');
}

/** For `secrets reencrypt`: moves the stored key under the current DATA_ENCRYPTION_KEY. True if rewritten. */
export async function resealSharedKey(settings: SettingStore, cipher: DataCipher, name: string): Promise<boolean> {
  const stored = await settings.get(name);
  if (stored === undefined || cipher.isCurrent(stored)) return false;
  return settings.replace(name, stored, cipher.encrypt(cipher.decrypt(stored, name), name));
}
