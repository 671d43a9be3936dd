import { Redis } from 'ioredis';
import type { AdapterFactory } from 'oidc-provider';

import { createCachedAdapterFactory } from '../../../src/storage/cached-adapter.js';
import { createMemoryAdapterFactory, createMemoryStorage } from '../../../src/storage/memory-adapter.js';
import { createRedisInvalidation } from '../../../src/storage/redis-invalidation.js';
import { createCapturingLogger, requireEnv, uniqueRedisPrefix } from '../../support/test-env.js';

const CLIENT = new Set(['Client']);

/** Counts reads that reach the backing store. */
function countingFactory(inner: AdapterFactory): { factory: AdapterFactory; reads: () => number } {
  let reads = 0;
  return {
    factory: (model) => {
      const adapter = inner(model);
      return {
        ...adapter,
        upsert: adapter.upsert.bind(adapter),
        destroy: adapter.destroy.bind(adapter),
        consume: adapter.consume.bind(adapter),
        findByUid: adapter.findByUid.bind(adapter),
        findByUserCode: adapter.findByUserCode.bind(adapter),
        revokeByGrantId: adapter.revokeByGrantId.bind(adapter),
        find: (id: string) => {
          reads += 1;
          return adapter.find(id);
        },
      };
    },
    reads: () => reads,
  };
}

async function eventually(assertion: () => Promise<void>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe('cached client adapter', () => {
  it('serves repeated reads, hits and misses alike, from memory', async () => {
    const store = countingFactory(createMemoryAdapterFactory(createMemoryStorage()));
    const cached = createCachedAdapterFactory(store.factory, { models: CLIENT, ttlSeconds: 60, maxEntries: 100 });
    await store.factory('Client').upsert('c1', { client_id: 'c1' });
    for (let i = 0; i < 5; i += 1) {
      expect(await cached('Client').find('c1')).toEqual({ client_id: 'c1' });
      expect(await cached('Client').find('unknown')).toBeUndefined();
    }
    expect(store.reads()).toBe(2);
  });

  it('returns copies, so a caller cannot alter the cached record', async () => {
    const cached = createCachedAdapterFactory(createMemoryAdapterFactory(createMemoryStorage()), { models: CLIENT, ttlSeconds: 60, maxEntries: 100 });
    await cached('Client').upsert('c1', { client_id: 'c1', client_name: 'Original' });
    const first = await cached('Client').find('c1');
    if (first) first.client_name = 'Changed';
    expect(await cached('Client').find('c1')).toEqual({ client_id: 'c1', client_name: 'Original' });
  });

  it('drops a record written or deleted through it', async () => {
    const cached = createCachedAdapterFactory(createMemoryAdapterFactory(createMemoryStorage()), { models: CLIENT, ttlSeconds: 60, maxEntries: 100 });
    await cached('Client').upsert('c1', { client_id: 'c1', client_name: 'Before' });
    expect(await cached('Client').find('c1')).toMatchObject({ client_name: 'Before' });
    await cached('Client').upsert('c1', { client_id: 'c1', client_name: 'After' });
    expect(await cached('Client').find('c1')).toMatchObject({ client_name: 'After' });
    await cached('Client').destroy('c1');
    expect(await cached('Client').find('c1')).toBeUndefined();
  });

  it('bounds staleness from writes that bypass it by the TTL', async () => {
    const storage = createMemoryStorage();
    const direct = createMemoryAdapterFactory(storage);
    const cached = createCachedAdapterFactory(direct, { models: CLIENT, ttlSeconds: 1, maxEntries: 100 });
    await direct('Client').upsert('c1', { client_id: 'c1', client_name: 'Before' });
    expect(await cached('Client').find('c1')).toMatchObject({ client_name: 'Before' });
    await direct('Client').destroy('c1');
    expect(await cached('Client').find('c1')).toMatchObject({ client_name: 'Before' });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await cached('Client').find('c1')).toBeUndefined();
  });

  it('evicts on every instance when one instance changes a record (Redis pub/sub)', async () => {
    const redis = new Redis(requireEnv('REDIS_URL'));
    const channel = `${uniqueRedisPrefix()}invalidate`;
    const { logger } = createCapturingLogger();
    const shared = createMemoryAdapterFactory(createMemoryStorage());
    const first = await createRedisInvalidation(redis, channel, logger);
    const second = await createRedisInvalidation(redis, channel, logger);
    try {
      const instanceA = createCachedAdapterFactory(shared, { models: CLIENT, ttlSeconds: 600, maxEntries: 100, invalidation: first });
      const instanceB = createCachedAdapterFactory(shared, { models: CLIENT, ttlSeconds: 600, maxEntries: 100, invalidation: second });
      await instanceA('Client').upsert('c1', { client_id: 'c1', client_secret: 'old' });
      expect(await instanceB('Client').find('c1')).toMatchObject({ client_secret: 'old' });
      await instanceA('Client').upsert('c1', { client_id: 'c1', client_secret: 'rotated' });
      await eventually(async () => expect(await instanceB('Client').find('c1')).toMatchObject({ client_secret: 'rotated' }));
      await instanceA('Client').destroy('c1');
      await eventually(async () => expect(await instanceB('Client').find('c1')).toBeUndefined());
    } finally {
      await first.close();
      await second.close();
      await redis.quit();
    }
  });

  it('puts nothing stale back: a read under way when another instance changes the record is not cached (Redis pub/sub)', async () => {
    const redis = new Redis(requireEnv('REDIS_URL'));
    const channel = `${uniqueRedisPrefix()}invalidate`;
    const { logger } = createCapturingLogger();
    const shared = createMemoryAdapterFactory(createMemoryStorage());
    const first = await createRedisInvalidation(redis, channel, logger);
    const second = await createRedisInvalidation(redis, channel, logger);
    try {
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      // Instance B's store answers its first read late: with the record as it was when asked.
      let slow = true;
      const lateReads: AdapterFactory = (model) => {
        const adapter = shared(model);
        return Object.assign(Object.create(adapter) as typeof adapter, {
          find: async (id: string) => {
            const payload = await adapter.find(id);
            if (slow) {
              slow = false;
              await held;
            }
            return payload;
          },
        });
      };
      const instanceA = createCachedAdapterFactory(shared, { models: CLIENT, ttlSeconds: 600, maxEntries: 100, invalidation: first });
      const instanceB = createCachedAdapterFactory(lateReads, { models: CLIENT, ttlSeconds: 600, maxEntries: 100, invalidation: second });
      await instanceA('Client').upsert('c1', { client_id: 'c1', client_secret: 'old' });
      const reading = instanceB('Client').find('c1');
      await instanceA('Client').upsert('c1', { client_id: 'c1', client_secret: 'rotated' });
      // The message reaches B while its read is still out.
      await eventually(async () => expect(second.listening).toBe(true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      release();
      expect(await reading).toMatchObject({ client_secret: 'old' });
      expect(await instanceB('Client').find('c1')).toMatchObject({ client_secret: 'rotated' });
    } finally {
      await first.close();
      await second.close();
      await redis.quit();
    }
  });

  it('drops what it holds when its subscription is lost, and caches again once it is back', async () => {
    const redis = new Redis(requireEnv('REDIS_URL'));
    const channel = `${uniqueRedisPrefix()}invalidate`;
    const { logger } = createCapturingLogger();
    const store = countingFactory(createMemoryAdapterFactory(createMemoryStorage()));
    const subscriberIds = async (): Promise<Set<string>> => new Set(String(await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')).split('\n').map((line) => /\bid=(\d+)/.exec(line)?.[1]).filter((id): id is string => id !== undefined));
    const before = await subscriberIds();
    const invalidation = await createRedisInvalidation(redis, channel, logger);
    const ours = [...(await subscriberIds())].filter((id) => !before.has(id));
    try {
      expect(ours).toHaveLength(1);
      const cached = createCachedAdapterFactory(store.factory, { models: CLIENT, ttlSeconds: 600, maxEntries: 100, invalidation });
      await store.factory('Client').upsert('c1', { client_id: 'c1', client_secret: 'old' });
      await cached('Client').find('c1');
      // The subscriber is cut off; a change published meanwhile never reaches it.
      await redis.call('CLIENT', 'KILL', 'ID', ours[0] ?? '');
      await eventually(async () => expect(invalidation.listening).toBe(false));
      await store.factory('Client').upsert('c1', { client_id: 'c1', client_secret: 'rotated' });
      await redis.publish(channel, 'Client:c1');
      expect(await cached('Client').find('c1')).toMatchObject({ client_secret: 'rotated' });
      const readsWhileDeaf = store.reads();
      await cached('Client').find('c1');
      expect(store.reads()).toBe(readsWhileDeaf + 1);
      // Back: cached again.
      await eventually(async () => expect(invalidation.listening).toBe(true), 5000);
      await cached('Client').find('c1');
      const readsAfter = store.reads();
      await cached('Client').find('c1');
      expect(store.reads()).toBe(readsAfter);
    } finally {
      await invalidation.close();
      await redis.quit();
    }
  });

  it('leaves models it does not cache alone', async () => {
    const store = countingFactory(createMemoryAdapterFactory(createMemoryStorage()));
    const cached = createCachedAdapterFactory(store.factory, { models: CLIENT, ttlSeconds: 60, maxEntries: 100 });
    await cached('InitialAccessToken').upsert('t1', { jti: 't1' }, 60);
    await cached('InitialAccessToken').find('t1');
    await cached('InitialAccessToken').find('t1');
    expect(store.reads()).toBe(2);
  });
});
