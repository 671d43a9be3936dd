import { Redis } from 'ioredis';

import type { KeyedLock } from '../../../src/accounts/locked-account-store.js';
import { createMemoryKeyedLock } from '../../../src/storage/memory-keyed-lock.js';
import { createRedisKeyedLock, LockTimeoutError } from '../../../src/storage/redis-keyed-lock.js';
import { requireEnv, uniqueRedisPrefix } from '../../support/test-env.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function describeKeyedLock(name: string, setup: () => { lock: KeyedLock; teardown(): Promise<void> }): void {
  describe(`${name} keyed lock`, () => {
    let lock: KeyedLock;
    let teardown: () => Promise<void>;
    beforeAll(() => {
      ({ lock, teardown } = setup());
    });
    afterAll(async () => {
      await teardown();
    });

    it('runs work for one key one at a time, and work for other keys alongside', async () => {
      let inside = 0;
      let most = 0;
      const work = async (): Promise<void> => {
        inside += 1;
        most = Math.max(most, inside);
        await sleep(5);
        inside -= 1;
      };
      await Promise.all(Array.from({ length: 6 }, () => lock.withLock('same', work)));
      expect(most).toBe(1);
      const started: number[] = [];
      await Promise.all(['a', 'b'].map((key) => lock.withLock(key, async () => {
        started.push(Date.now());
        await sleep(50);
      })));
      expect(Math.abs((started[0] ?? 0) - (started[1] ?? 0))).toBeLessThan(40);
    });

    it('frees the key when the work fails, and passes the failure on', async () => {
      await expect(lock.withLock('failing', async () => {
        throw new Error('boom');
      })).rejects.toThrow('boom');
      expect(await lock.withLock('failing', async () => 'next')).toBe('next');
    });
  });
}

describeKeyedLock('memory', () => ({ lock: createMemoryKeyedLock(), teardown: async () => undefined }));

describeKeyedLock('redis', () => {
  const redis = new Redis(requireEnv('REDIS_URL'));
  return { lock: createRedisKeyedLock(redis, uniqueRedisPrefix()), teardown: async () => void (await redis.quit()) };
});

describe('redis keyed lock limits', () => {
  it('gives up with LockTimeoutError when the holder keeps the key past the wait', async () => {
    const redis = new Redis(requireEnv('REDIS_URL'));
    const prefix = uniqueRedisPrefix();
    try {
      const holder = createRedisKeyedLock(redis, prefix, { holdMs: 2000 });
      const impatient = createRedisKeyedLock(redis, prefix, { waitMs: 100 });
      const held = holder.withLock('busy', () => sleep(400));
      await sleep(20);
      await expect(impatient.withLock('busy', async () => undefined)).rejects.toBeInstanceOf(LockTimeoutError);
      await held;
    } finally {
      await redis.quit();
    }
  });
});
