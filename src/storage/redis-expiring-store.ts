
import type { RedisClient } from './redis-connection.js';
import type { ExpiringStore } from './expiring-store.js';

/** An ExpiringStore in RedisClient under `<prefix><namespace>:{<key>}`. */
export function createRedisExpiringStore<T>(redis: RedisClient, prefix: string, namespace: string): ExpiringStore<T> {
  const keyFor = (key: string): string => `${prefix}${namespace}:{${key}}`;
  return {
    async get(key) {
      const raw = await redis.get(keyFor(key));
      // Written by set() below from a T; trusted like any record we wrote ourselves.
      return raw === null ? undefined : (JSON.parse(raw) as T);
    },
    async set(key, value, ttlSeconds) {
      await redis.set(keyFor(key), JSON.stringify(value), 'EX', ttlSeconds);
    },
    async delete(key) {
      await redis.del(keyFor(key));
    },
  };
}
