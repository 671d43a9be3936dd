import { createHmac, hkdfSync, randomInt, timingSafeEqual } from 'node:crypto';

import type { DataKey } from '../config/app-config.js';
import type { StoredRecoveryCode } from './account.js';

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const GROUP = 5;
export const RECOVERY_CODE_COUNT = 10;

/** Keyed hashing for recovery codes: a database dump alone cannot test guesses against them. */
export interface RecoveryCodes {
  generate(): { codes: string[]; stored: StoredRecoveryCode[] };
  /** The stored hash of an unused code matching `input`, if any. */
  findUnused(stored: readonly StoredRecoveryCode[], input: string): string | undefined;
  /** The DATA_ENCRYPTION_KEY id a stored hash depends on; undefined for hashes made before key ids. */
  keyIdOf(storedHash: string): string | undefined;
}

function normalise(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '');
}

export function looksLikeRecoveryCode(input: string): boolean {
  const code = normalise(input);
  return code.length === GROUP * 2 && [...code].every((char) => ALPHABET.includes(char));
}

function equalText(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/**
 * Stored hashes are `<key id>.<HMAC>` under a key derived from that DATA_ENCRYPTION_KEY; older
 * ones carry no key id and are checked under every listed key. A hash cannot be re-keyed
 * without the code, so a key stays listed until the codes made under it are replaced.
 */
export function createRecoveryCodes(dataKeys: readonly DataKey[]): RecoveryCodes {
  const [current] = dataKeys;
  if (!current) throw new Error('DATA_ENCRYPTION_KEY lists no key');
  const hmacKeys = new Map(dataKeys.map(({ id, key }) => [id, Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'latchkey recovery codes', 32))]));
  const hash = (keyId: string, code: string): string | undefined => {
    const key = hmacKeys.get(keyId);
    return key ? createHmac('sha256', key).update(normalise(code)).digest('base64url') : undefined;
  };
  // The stored hash this input would have, under the key the stored hash names.
  const candidatesFor = (stored: string, input: string): string[] => {
    const separator = stored.indexOf('.');
    if (separator === -1) return dataKeys.map(({ id }) => hash(id, input) ?? '');
    const keyId = stored.slice(0, separator);
    const digest = hash(keyId, input);
    return digest ? [`${keyId}.${digest}`] : [];
  };
  return {
    generate() {
      const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
        const chars = Array.from({ length: GROUP * 2 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
        return `${chars.slice(0, GROUP)}-${chars.slice(GROUP)}`;
      });
      return { codes, stored: codes.map((code) => ({ hash: `${current.id}.${hash(current.id, code) ?? ''}`, usedAt: null })) };
    },
    findUnused(stored, input) {
      if (!looksLikeRecoveryCode(input)) return undefined;
      let match: string | undefined;
      // Compare against every code so the time taken does not depend on which one matched.
      for (const code of stored) {
        const same = candidatesFor(code.hash, input).some((candidate) => equalText(candidate, code.hash));
        if (same && code.usedAt === null) match = code.hash;
      }
      return match;
    },
    keyIdOf(storedHash) {
      const separator = storedHash.indexOf('.');
      return separator === -1 ? undefined : storedHash.slice(0, separator);
    },
  };
}
