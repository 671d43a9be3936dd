import type { Redis } from 'ioredis';

import type { LockoutPolicy, LockoutStore, OneTimeClaims } from '../accounts/lockout-store.js';

/** Lockout counters in Redis, so a lockout holds on every instance. */
export function createRedisLockoutStore(redis: Redis, prefix: string, policy: LockoutPolicy): LockoutStore {
  const failures = (id: string): string => `${prefix}lockout:failures:{${id}}`;
  const lock = (id: string): string => `${prefix}lockout:lock:{${id}}`;
  return {
    async isLocked(accountId) {
      return (await redis.exists(lock(accountId))) === 1;
    },
    async recordFailure(accountId) {
      const result = await redis.multi().incr(failures(accountId)).expire(failures(accountId), policy.windowSeconds, 'NX').exec();
      const count = Number(result?.[0]?.[1] ?? 0);
      if (count < policy.maxFailures) return false;
      await redis.multi().set(lock(accountId), '1', 'EX', policy.lockSeconds).del(failures(accountId)).exec();
      return true;
    },
    async clearFailures(accountId) {
      await redis.del(failures(accountId));
    },
    async unlock(accountId) {
      await redis.del(failures(accountId), lock(accountId));
    },
  };
}

export function createRedisOneTimeClaims(redis: Redis, prefix: string): OneTimeClaims {
  return {
    async claim(key, ttlSeconds) {
      return (await redis.set(`${prefix}claim:{${key}}`, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
    },
  };
}
