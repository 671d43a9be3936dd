import { Redis } from 'ioredis';

import { createMemoryAccountSessions, createMemoryAdapterFactory, createMemoryStorage } from '../../../src/storage/memory-adapter.js';
import { createMongoAdapterFactory } from '../../../src/storage/mongo-adapter.js';
import { connectMongo } from '../../../src/storage/mongo-connection.js';
import { createRedisAccountSessions, createRedisAdapterFactory } from '../../../src/storage/redis-adapter.js';
import { createRedisKeys } from '../../../src/storage/redis-keys.js';
import { requireEnv, uniqueMongoUri, uniqueRedisPrefix } from '../../support/test-env.js';
import { describeDurableAdapterContract, describeEphemeralAdapterContract } from './adapter-contract.js';

describeEphemeralAdapterContract('memory', async () => {
  const storage = createMemoryStorage();
  const factory = createMemoryAdapterFactory(storage);
  return { factory, accountSessions: createMemoryAccountSessions(storage, factory), teardown: async () => undefined };
});

describeEphemeralAdapterContract('redis', async () => {
  const redis = new Redis(requireEnv('REDIS_URL'));
  const prefix = uniqueRedisPrefix();
  const keys = createRedisKeys(prefix);
  const factory = createRedisAdapterFactory(redis, keys);
  return {
    factory,
    accountSessions: createRedisAccountSessions(redis, keys, factory),
    async teardown() {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
});

describeDurableAdapterContract('memory', async () => ({
  factory: createMemoryAdapterFactory(createMemoryStorage()),
  teardown: async () => undefined,
}));

describeDurableAdapterContract('mongodb', async () => {
  const connection = await connectMongo(uniqueMongoUri());
  return {
    factory: createMongoAdapterFactory(connection),
    async teardown() {
      await connection.dropDatabase();
      await connection.close();
    },
  };
});
