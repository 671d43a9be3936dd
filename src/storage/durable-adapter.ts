import type { RedisClient } from './redis-connection.js';
import type { Connection } from 'mongoose';
import type { AdapterFactory } from 'oidc-provider';

import type { DataCipher } from '../accounts/data-cipher.js';
import { createSealedClientAdapterFactory } from '../clients/sealed-client-adapter.js';
import type { Logger } from '../logging/create-logger.js';
import { createCachedAdapterFactory } from './cached-adapter.js';
import type { CacheInvalidation } from './coherent-cache.js';
import { createMongoAdapterFactory } from './mongo-adapter.js';
import { createRedisInvalidation } from './redis-invalidation.js';

const CACHED_MODELS: ReadonlySet<string> = new Set(['Client']);
const CLIENT_CACHE_ENTRIES = 10_000;

/**
 * The store for the provider's durable models as every process that writes them must build it:
 * MongoDB, client secrets sealed, clients cached per instance and evicted everywhere over RedisClient
 * pub/sub when anyone (server, CLI, admin API) changes one. The same channel (`invalidation`)
 * serves the other caches of durable records (resource servers).
 */
export async function createDurableAdapterFactory(deps: {
  connection: Connection;
  cipher: DataCipher;
  redis: RedisClient | undefined;
  channel: string;
  cacheSeconds: number;
  logger: Logger;
}): Promise<{ factory: AdapterFactory; uncached: AdapterFactory; invalidation: CacheInvalidation | undefined; close(): Promise<void> }> {
  const sealed = createSealedClientAdapterFactory(createMongoAdapterFactory(deps.connection), deps.cipher);
  const invalidation = deps.redis ? await createRedisInvalidation(deps.redis, deps.channel, deps.logger) : undefined;
  const factory = createCachedAdapterFactory(sealed, {
    models: CACHED_MODELS,
    ttlSeconds: deps.cacheSeconds,
    maxEntries: CLIENT_CACHE_ENTRIES,
    ...(invalidation ? { invalidation } : {}),
  });
  return { factory, uncached: sealed, invalidation, close: async () => invalidation?.close() };
}
