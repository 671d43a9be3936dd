import { Redis } from 'ioredis';

import type { LockoutStore, OneTimeClaims } from '../../../src/accounts/lockout-store.js';
import type { ExpiringStore } from '../../../src/storage/expiring-store.js';
import { createMemoryLockoutStore, createMemoryOneTimeClaims } from '../../../src/storage/memory-account-guards.js';
import { createMemoryExpiringStore } from '../../../src/storage/memory-expiring-store.js';
import { createRedisLockoutStore, createRedisOneTimeClaims } from '../../../src/storage/redis-account-guards.js';
import { createRedisExpiringStore } from '../../../src/storage/redis-expiring-store.js';
import { requireEnv, uniqueRedisPrefix } from '../../support/test-env.js';

const POLICY = { maxFailures: 3, windowSeconds: 60, lockSeconds: 1 };

interface Guards {
  lockout: LockoutStore;
  claims: OneTimeClaims;
  store: ExpiringStore<{ value: string }>;
  teardown(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function describeGuards(name: string, setup: () => Promise<Guards>): void {
  describe(`${name}: lockout, one-time claims and expiring records`, () => {
    let guards: Guards;
    beforeAll(async () => {
      guards = await setup();
    });
    afterAll(async () => {
      await guards.teardown();
    });

    it('locks after the last allowed failure, and the lock lapses by itself', async () => {
      expect(await guards.lockout.recordFailure('acct-1')).toBe(false);
      expect(await guards.lockout.recordFailure('acct-1')).toBe(false);
      expect(await guards.lockout.isLocked('acct-1')).toBe(false);
      expect(await guards.lockout.recordFailure('acct-1')).toBe(true);
      expect(await guards.lockout.isLocked('acct-1')).toBe(true);
      expect(await guards.lockout.isLocked('acct-2')).toBe(false);
      await sleep(1100);
      expect(await guards.lockout.isLocked('acct-1')).toBe(false);
    });

    it('forgets failures after a full sign-in, and unlock lifts a lock', async () => {
      await guards.lockout.recordFailure('acct-3');
      await guards.lockout.recordFailure('acct-3');
      await guards.lockout.clearFailures('acct-3');
      expect(await guards.lockout.recordFailure('acct-3')).toBe(false);
      await guards.lockout.recordFailure('acct-3');
      expect(await guards.lockout.recordFailure('acct-3')).toBe(true);
      await guards.lockout.unlock('acct-3');
      expect(await guards.lockout.isLocked('acct-3')).toBe(false);
    });

    it('lets exactly one of many concurrent claims win', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => guards.claims.claim('totp:acct:123', 60)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await guards.claims.claim('totp:acct:124', 60)).toBe(true);
    });

    it('keeps a record until its lifetime ends', async () => {
      await guards.store.set('uid-1', { value: 'x' }, 1);
      expect(await guards.store.get('uid-1')).toEqual({ value: 'x' });
      await guards.store.set('uid-2', { value: 'y' }, 60);
      await guards.store.delete('uid-2');
      expect(await guards.store.get('uid-2')).toBeUndefined();
      await sleep(1100);
      expect(await guards.store.get('uid-1')).toBeUndefined();
    });
  });
}

describeGuards('memory', async () => ({
  lockout: createMemoryLockoutStore(POLICY),
  claims: createMemoryOneTimeClaims(),
  store: createMemoryExpiringStore(),
  teardown: async () => undefined,
}));

describeGuards('redis', async () => {
  const redis = new Redis(requireEnv('REDIS_URL'));
  const prefix = uniqueRedisPrefix();
  return {
    lockout: createRedisLockoutStore(redis, prefix, POLICY),
    claims: createRedisOneTimeClaims(redis, prefix),
    store: createRedisExpiringStore(redis, prefix, 'test'),
    async teardown() {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
});
