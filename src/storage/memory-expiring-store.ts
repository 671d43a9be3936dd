import type { ExpiringStore } from './expiring-store.js';
import { ExpiringMap } from './memory-adapter.js';

export function createMemoryExpiringStore<T>(): ExpiringStore<T> {
  const entries = new ExpiringMap<T>();
  return {
    async get(key) {
      const value = entries.get(key);
      return value === undefined ? undefined : structuredClone(value);
    },
    async set(key, value, ttlSeconds) {
      entries.set(key, structuredClone(value), ttlSeconds);
    },
    async delete(key) {
      entries.delete(key);
    },
  };
}
