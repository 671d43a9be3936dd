import { Cluster, Redis } from 'ioredis';

import { createMemoryAccountSessions, createMemoryAdapterFactory, createMemoryStorage } from '../../../src/storage/memory-adapter.js';
import { createMongoAdapterFactory } from '../../../src/storage/mongo-adapter.js';
import { connectMongo } from '../../../src/storage/mongo-connection.js';
import { createRedisAccountSessions, createRedisAdapterFactory } from '../../../src/storage/redis-adapter.js';
import { createRedisKeys } from '../../../src/storage/redis-keys.js';
import { connectRedis } from '../../../src/storage/redis-connection.js';
import { createCapturingLogger, requireEnv, uniqueMongoUri, uniqueRedisPrefix } from '../../support/test-env.js';
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

// The same contract on a Redis Cluster of three masters (scripts/test-servers.sh starts one):
// every command and script the adapter sends must stay within one hash slot.
describeEphemeralAdapterContract('redis cluster', async () => {
  const redis = await connectRedis({ url: requireEnv('REDIS_CLUSTER_URL'), cluster: true }, createCapturingLogger().logger);
  const prefix = uniqueRedisPrefix();
  const keys = createRedisKeys(prefix);
  const factory = createRedisAdapterFactory(redis, keys);
  return {
    factory,
    accountSessions: createRedisAccountSessions(redis, keys, factory),
    async teardown() {
      if (redis instanceof Cluster) {
        for (const node of redis.nodes('master')) {
          const found = await node.keys(`${prefix}*`);
          for (const key of found) await node.del(key);
        }
      }
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
