/**
 * Tells every instance that a cached record changed. The Redis implementation publishes on a
 * channel all instances subscribe to; a single process needs nothing beyond its own cache.
 */
export interface CacheInvalidation {
  publish(kind: string, id: string): Promise<void>;
  onInvalidate(handler: (kind: string, id: string) => void): void;
  /**
   * Called when messages may be missed (the subscription was lost) and again when it is back:
   * every cached entry may be stale. While `listening` is false nothing is cached at all.
   */
  onReset(handler: () => void): void;
  readonly listening: boolean;
}

export interface CoherentCacheOptions {
  /** What the entries are (Client, Resource): the namespace of their invalidations. */
  readonly kind: string;
  readonly ttlSeconds: number;
  readonly maxEntries: number;
  readonly invalidation?: CacheInvalidation;
}

interface Entry<T> {
  readonly value: T;
  readonly expiresAt: number;
}

export interface CoherentCache<T> {
  /** The cached value, else `load()`'s, cached unless an invalidation came while it loaded. */
  get(id: string, load: () => Promise<T>): Promise<T>;
  /** Drops the entry here and, through the invalidation channel, on every instance. */
  invalidate(id: string): Promise<void>;
}

/**
 * A read-through cache that an invalidation always wins over. A fill that started before an
 * invalidation (it may have read the old record) is not stored when it ends after it: each fill
 * notes the invalidation count when it starts and stores only if the count is unchanged. When
 * the channel was down (messages possibly missed) everything is dropped, and nothing is cached
 * until it listens again; the TTL bounds staleness from writes that bypass Latchkey entirely.
 */
export function createCoherentCache<T>(options: CoherentCacheOptions): CoherentCache<T> {
  const entries = new Map<string, Entry<T>>();
  // Counts every invalidation and reset, here or elsewhere; a fill compares it before storing.
  let invalidations = 0;
  const drop = (id: string): void => {
    invalidations += 1;
    entries.delete(id);
  };
  options.invalidation?.onInvalidate((kind, id) => {
    if (kind === options.kind) drop(id);
  });
  options.invalidation?.onReset(() => {
    invalidations += 1;
    entries.clear();
  });
  return {
    async get(id, load) {
      const cached = entries.get(id);
      if (cached && cached.expiresAt > Date.now()) return cached.value;
      const seen = invalidations;
      const value = await load();
      if (seen === invalidations && (options.invalidation?.listening ?? true)) {
        if (entries.size >= options.maxEntries) {
          const oldest = entries.keys().next();
          if (!oldest.done) entries.delete(oldest.value);
        }
        entries.set(id, { value, expiresAt: Date.now() + options.ttlSeconds * 1000 });
      }
      return value;
    },
    async invalidate(id) {
      drop(id);
      await options.invalidation?.publish(options.kind, id);
    },
  };
}
