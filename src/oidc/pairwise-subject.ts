import { createHmac, randomBytes } from 'node:crypto';

import type { DataCipher } from '../accounts/data-cipher.js';
import type { SettingStore } from '../settings/setting-store.js';

const SETTING = 'pairwise-subject-key';
const PURPOSE = 'pairwise-subject-key';

/**
 * The secret behind pairwise subjects, shared by every instance and kept for good: a new one
 * would give every user a new `sub` at every pairwise client. Stored encrypted under
 * DATA_ENCRYPTION_KEY like the other secrets at rest.
 */
export async function loadPairwiseKey(settings: SettingStore, cipher: DataCipher): Promise<Buffer> {
  const candidate = cipher.encrypt(randomBytes(32).toString('base64url'), PURPOSE);
  const stored = await settings.getOrCreate(SETTING, candidate);
  return Buffer.from(cipher.decrypt(stored, PURPOSE), 'base64url');
}

/** For `secrets reencrypt`: moves the stored key under the current DATA_ENCRYPTION_KEY. True if rewritten. */
export async function resealPairwiseKey(settings: SettingStore, cipher: DataCipher): Promise<boolean> {
  const stored = await settings.get(SETTING);
  if (stored === undefined || cipher.isCurrent(stored)) return false;
  return settings.replace(SETTING, stored, cipher.encrypt(cipher.decrypt(stored, PURPOSE), PURPOSE));
}

interface SectorAware {
  readonly sectorIdentifier?: string;
  readonly clientId: string;
}

/**
 * OpenID Connect Core 8.1: the same user gets the same `sub` at every client of one sector (the
 * host of its sector_identifier_uri, else of its redirect URIs) and unrelated ones elsewhere;
 * nobody without the key can link them.
 */
export function createPairwiseIdentifier(key: Buffer): (ctx: unknown, accountId: string, client: unknown) => Promise<string> {
  return async (_ctx, accountId, client) => {
    const { sectorIdentifier, clientId } = client as SectorAware;
    return createHmac('sha256', key).update(`${sectorIdentifier ?? clientId}\n${accountId}`).digest('base64url');
  };
}
