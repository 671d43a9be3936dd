import type { RedisClient } from './redis-connection.js';
import { randomBytes } from 'node:crypto';

import type { KeyedLock } from '../accounts/locked-account-store.js';
import { defineRedisScript } from './redis-script.js';

// Deletes the lock only if this holder still owns it (it may have expired and been taken).
const RELEASE_SCRIPT = defineRedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

export class LockTimeoutError extends Error {
  constructor(key: string) {
    super(`could not take the lock ${key} in time`);
    this.name = 'LockTimeoutError';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A lock per key in one RedisClient: SET NX with an expiry (a crashed holder frees it), released
 * only by its holder. Work under it must be short; the expiry bounds how long a stuck holder
 * can block others.
 */
export function createRedisKeyedLock(redis: RedisClient, prefix: string, options: { holdMs?: number; waitMs?: number } = {}): KeyedLock {
  const holdMs = options.holdMs ?? 10_000;
  const waitMs = options.waitMs ?? 5_000;
  return {
    async withLock(key, work) {
      const lockKey = `${prefix}lock:{${key}}`;
      const token = randomBytes(12).toString('base64url');
      const deadline = Date.now() + waitMs;
      while ((await redis.set(lockKey, token, 'PX', holdMs, 'NX')) !== 'OK') {
        if (Date.now() > deadline) throw new LockTimeoutError(key);
        await sleep(5 + Math.random() * 20);
      }
      try {
        return await work();
      } finally {
        await RELEASE_SCRIPT(redis, [lockKey], [token]);
      }
    },
  };
}
