import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import type Provider from 'oidc-provider';
import type { AdapterFactory } from 'oidc-provider';

import type { AppConfig } from './config/app-config.js';
import type { ReadinessCheck } from './http/health.js';
import { createRenderer, type Renderer } from './http/renderer.js';
import { generateKeySet, KeySetError, loadKeySet, toProviderJwks, type KeySet } from './keys/key-set.js';
import type { Logger } from './logging/create-logger.js';
import { createProvider } from './oidc/create-provider.js';
import { createRoutingAdapterFactory } from './storage/adapter-factory.js';
import { createCachedAdapterFactory, type CacheInvalidation } from './storage/cached-adapter.js';
import { createRedisInvalidation } from './storage/redis-invalidation.js';
import { createMemoryAdapterFactory, createMemoryStorage } from './storage/memory-adapter.js';
import { createMongoAdapterFactory, deleteExpiredDurableRecords } from './storage/mongo-adapter.js';
import { connectMongo, pingMongo } from './storage/mongo-connection.js';
import { createRedisAdapterFactory } from './storage/redis-adapter.js';
import { connectRedis } from './storage/redis-connection.js';
import { createRedisKeys } from './storage/redis-keys.js';

/** Everything a running Latchkey holds, built eagerly in one place; close() releases it all. */
export interface Container {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly renderer: Renderer;
  readonly adapter: AdapterFactory;
  readonly provider: Provider;
  readonly keySet: KeySet;
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly storage: { readonly redis: 'redis' | 'memory'; readonly mongo: 'mongodb' | 'memory' };
  close(): Promise<void>;
}

async function loadOrCreateKeySet(config: AppConfig, logger: Logger): Promise<KeySet> {
  try {
    return await loadKeySet(config.keysDir);
  } catch (error) {
    if (config.mode === 'production' || !(error instanceof KeySetError && error.code === 'missing')) throw error;
    const { keySet, created } = await generateKeySet(config.keysDir);
    logger.warn({ keysDir: config.keysDir, kids: created.map((key) => key.kid) }, 'generated development signing keys');
    return keySet;
  }
}

const SWEEP_INTERVAL_MS = 60_000;
const CACHED_MODELS: ReadonlySet<string> = new Set(['Client']);
const CLIENT_CACHE_ENTRIES = 10_000;

/** The composition root: opens connections, loads keys, builds the provider. */
export async function createContainer(config: AppConfig, logger: Logger): Promise<Container> {
  const closers: Array<() => Promise<void>> = [];
  const readinessChecks: ReadinessCheck[] = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse()) {
      try {
        await closer();
      } catch (error) {
        logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, 'error while closing');
      }
    }
  };

  try {
    // Keys first: a missing key set is the cheapest start-up failure to report.
    const keySet = await loadOrCreateKeySet(config, logger);
    const memory = createMemoryStorage();
    const memoryAdapter = createMemoryAdapterFactory(memory);
    if (!config.redisUrl || !config.mongodbUri) {
      const sweep = setInterval(() => {
        memory.artifacts.sweep();
        memory.indexes.sweep();
        memory.grants.sweep();
      }, SWEEP_INTERVAL_MS);
      sweep.unref();
      closers.push(async () => clearInterval(sweep));
    }

    let ephemeral = memoryAdapter;
    let redis: Redis | undefined;
    if (config.redisUrl) {
      const connected = await connectRedis(config.redisUrl, logger);
      redis = connected;
      closers.push(async () => {
        await connected.quit();
      });
      ephemeral = createRedisAdapterFactory(connected, createRedisKeys(config.redisKeyPrefix));
      readinessChecks.push({ name: 'redis', check: async () => void (await connected.ping()) });
    }

    let durable = memoryAdapter;
    let mongo: Connection | undefined;
    if (config.mongodbUri) {
      const connected = await connectMongo(config.mongodbUri);
      mongo = connected;
      closers.push(async () => connected.close());
      let invalidation: CacheInvalidation | undefined;
      if (redis) {
        const pubsub = await createRedisInvalidation(redis, `${config.redisKeyPrefix}invalidate`, logger);
        closers.push(() => pubsub.close());
        invalidation = pubsub;
      }
      durable = config.clientCacheSeconds > 0
        ? createCachedAdapterFactory(createMongoAdapterFactory(connected), {
          models: CACHED_MODELS,
          ttlSeconds: config.clientCacheSeconds,
          maxEntries: CLIENT_CACHE_ENTRIES,
          ...(invalidation ? { invalidation } : {}),
        })
        : createMongoAdapterFactory(connected);
      readinessChecks.push({ name: 'mongodb', check: () => pingMongo(connected) });
      const cleanup = setInterval(() => {
        deleteExpiredDurableRecords(connected).catch((error: unknown) => {
          logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, 'expired record cleanup failed');
        });
      }, SWEEP_INTERVAL_MS);
      cleanup.unref();
      closers.unshift(async () => clearInterval(cleanup));
    }

    const renderer = createRenderer();
    const adapter = createRoutingAdapterFactory(durable, ephemeral);
    const provider = createProvider({
      config,
      adapter,
      jwks: toProviderJwks(keySet),
      // Accounts arrive with the login pages; until then no subject resolves.
      findAccount: () => undefined,
      renderer,
      logger,
    });

    return {
      config,
      logger,
      renderer,
      adapter,
      provider,
      keySet,
      readinessChecks,
      storage: { redis: redis ? 'redis' : 'memory', mongo: mongo ? 'mongodb' : 'memory' },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
