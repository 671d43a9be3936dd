import type { Connection } from 'mongoose';

import type { AccountService } from '../accounts/account-service.js';
import type { DataCipher } from '../accounts/data-cipher.js';
import { resealClientSecret, SEALED_SECRET_FIELD } from '../clients/sealed-client-adapter.js';
import { rewriteDurableField } from '../storage/mongo-adapter.js';
import type { CanaryStore } from './canary-store.js';
import { DPOP_NONCE_KEY_SETTING } from '../oidc/dpop.js';
import { PAIRWISE_KEY_SETTING } from '../oidc/pairwise-subject.js';
import type { SettingStore } from '../settings/setting-store.js';
import { resealSharedKey } from '../settings/shared-key.js';
import type { SigningKeys } from '../keys/signing-keys.js';

export interface ReencryptionReport {
  readonly currentKeyId: string;
  readonly clientSecrets: number;
  readonly totpSecrets: number;
  readonly signingKeys: number;
  /** Whether the pairwise subject key was moved to the current key. */
  readonly pairwiseKey: boolean;
  /** Whether the key DPoP nonces are derived from was moved to the current key. */
  readonly dpopNonceKey: boolean;
  /** Older keys nothing depends on any more: they may leave DATA_ENCRYPTION_KEY. */
  readonly retiredKeyIds: readonly string[];
  /** Older keys that unused recovery codes still need, with how many codes. */
  readonly stillNeeded: Readonly<Record<string, number>>;
}

/**
 * Moves every secret at rest to the key that encrypts now (`latchkey secrets reencrypt`), each
 * write a compare-and-set so that a change made meanwhile wins, then retires the canary of
 * every older key that nothing needs any more.
 */
export async function reencryptSecrets(deps: { connection: Connection; cipher: DataCipher; accounts: AccountService; canaries: CanaryStore; settings: SettingStore; signingKeys: Pick<SigningKeys, 'reencrypt'> }): Promise<ReencryptionReport> {
  const { cipher } = deps;
  const pairwiseKey = await resealSharedKey(deps.settings, cipher, PAIRWISE_KEY_SETTING);
  const dpopNonceKey = await resealSharedKey(deps.settings, cipher, DPOP_NONCE_KEY_SETTING);
  const clientSecrets = await rewriteDurableField(deps.connection, 'Client', SEALED_SECRET_FIELD, (clientId, sealed) => resealClientSecret(cipher, clientId, sealed));
  const accounts = await deps.accounts.reencryptSecrets();
  const signingKeys = await deps.signingKeys.reencrypt();
  const retiredKeyIds: string[] = [];
  const stillNeeded: Record<string, number> = {};
  for (const canary of await deps.canaries.list()) {
    if (canary.keyId === cipher.currentKeyId) continue;
    const codes = accounts.codesByKey[canary.keyId] ?? 0;
    if (codes > 0) {
      stillNeeded[canary.keyId] = codes;
    } else {
      await deps.canaries.delete(canary.keyId);
      retiredKeyIds.push(canary.keyId);
    }
  }
  return { currentKeyId: cipher.currentKeyId, clientSecrets, totpSecrets: accounts.rewritten, signingKeys, pairwiseKey, dpopNonceKey, retiredKeyIds, stillNeeded };
}
