import type { LockoutPolicy, LockoutStore, OneTimeClaims } from '../accounts/lockout-store.js';
import { ExpiringMap } from './memory-adapter.js';

/** In-memory twins of the Redis lockout store and one-time claims. */
export function createMemoryLockoutStore(policy: LockoutPolicy): LockoutStore {
  const failures = new ExpiringMap<number>();
  const locks = new ExpiringMap<true>();
  return {
    async isLocked(accountId) {
      return locks.get(accountId) === true;
    },
    async recordFailure(accountId) {
      const previous = failures.get(accountId);
      const count = (previous ?? 0) + 1;
      if (count >= policy.maxFailures) {
        locks.set(accountId, true, policy.lockSeconds);
        failures.delete(accountId);
        return true;
      }
      const expiresAt = failures.expiresAt(accountId);
      const remaining = expiresAt === undefined ? policy.windowSeconds : Math.max(1, Math.ceil((expiresAt - Date.now()) / 1000));
      failures.set(accountId, count, remaining);
      return false;
    },
    async clearFailures(accountId) {
      failures.delete(accountId);
    },
    async unlock(accountId) {
      failures.delete(accountId);
      locks.delete(accountId);
    },
  };
}

export function createMemoryOneTimeClaims(): OneTimeClaims {
  const claims = new ExpiringMap<true>();
  return {
    async claim(key, ttlSeconds) {
      if (claims.get(key)) return false;
      claims.set(key, true, ttlSeconds);
      return true;
    },
  };
}
