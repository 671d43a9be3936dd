import { createHmac, hkdfSync, randomInt, timingSafeEqual } from 'node:crypto';

import type { StoredRecoveryCode } from './account.js';

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const GROUP = 5;
export const RECOVERY_CODE_COUNT = 10;

/** Keyed hashing for recovery codes: a database dump alone cannot test guesses against them. */
export interface RecoveryCodes {
  generate(): { codes: string[]; stored: StoredRecoveryCode[] };
  /** The stored hash of an unused code matching `input`, if any. */
  findUnused(stored: readonly StoredRecoveryCode[], input: string): string | undefined;
}

function normalise(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '');
}

export function looksLikeRecoveryCode(input: string): boolean {
  const code = normalise(input);
  return code.length === GROUP * 2 && [...code].every((char) => ALPHABET.includes(char));
}

export function createRecoveryCodes(dataKey: Buffer): RecoveryCodes {
  const key = Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), 'latchkey recovery codes', 32));
  const hash = (code: string): string => createHmac('sha256', key).update(normalise(code)).digest('base64url');
  return {
    generate() {
      const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
        const chars = Array.from({ length: GROUP * 2 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
        return `${chars.slice(0, GROUP)}-${chars.slice(GROUP)}`;
      });
      return { codes, stored: codes.map((code) => ({ hash: hash(code), usedAt: null })) };
    },
    findUnused(stored, input) {
      if (!looksLikeRecoveryCode(input)) return undefined;
      const candidate = Buffer.from(hash(input));
      let match: string | undefined;
      // Compare against every code so the time taken does not depend on which one matched.
      for (const code of stored) {
        const same = code.hash.length === candidate.length && timingSafeEqual(Buffer.from(code.hash), candidate);
        if (same && code.usedAt === null) match = code.hash;
      }
      return match;
    },
  };
}
