import { createHash, randomBytes } from 'node:crypto';

import type { OneTimeClaims } from './one-time-claims.js';
import type { ExpiringStore } from '../storage/expiring-store.js';

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * Links sent by mail that stand for something (a password reset, an address to confirm): a
 * 256-bit token that only the mail holds, stored as its hash with a lifetime, and redeemed once:
 * of concurrent redemptions exactly one gets the payload.
 */
export function createMailedLinks<T>(deps: { readonly grants: ExpiringStore<T>; readonly claims: OneTimeClaims; readonly ttlSeconds: number; readonly purpose: string }) {
  return {
    async issue(payload: T): Promise<string> {
      const token = randomBytes(32).toString('base64url');
      await deps.grants.set(hashToken(token), payload, deps.ttlSeconds);
      return token;
    },

    /** What a link stands for while it still works, without using it up. */
    async peek(token: string): Promise<T | undefined> {
      return TOKEN_SHAPE.test(token) ? deps.grants.get(hashToken(token)) : undefined;
    },

    /** Uses the link up: the payload for the first caller, undefined for everyone after. */
    async redeem(token: string): Promise<T | undefined> {
      if (!TOKEN_SHAPE.test(token)) return undefined;
      const key = hashToken(token);
      const grant = await deps.grants.get(key);
      if (!grant || !(await deps.claims.claim(`${deps.purpose}-used:${key}`, deps.ttlSeconds))) return undefined;
      await deps.grants.delete(key);
      return grant;
    },
  };
}
