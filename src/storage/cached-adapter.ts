import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

import { createCoherentCache, type CacheInvalidation, type CoherentCache } from './coherent-cache.js';

export type { CacheInvalidation } from './coherent-cache.js';

export interface CachedAdapterOptions {
  readonly models: ReadonlySet<string>;
  readonly ttlSeconds: number;
  readonly maxEntries: number;
  readonly invalidation?: CacheInvalidation;
}

class CachedAdapter implements Adapter {
  readonly #inner: Adapter;
  // The payload as JSON, parsed afresh per read so that no caller can change the cached copy.
  // Misses are cached too, so a flood of unknown client ids does not become a flood of queries.
  readonly #cache: CoherentCache<string | undefined>;

  constructor(inner: Adapter, cache: CoherentCache<string | undefined>) {
    this.#inner = inner;
    this.#cache = cache;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const serialized = await this.#cache.get(id, async () => {
      const payload = (await this.#inner.find(id)) ?? undefined;
      return payload ? JSON.stringify(payload) : undefined;
    });
    return serialized === undefined ? undefined : (JSON.parse(serialized) as AdapterPayload);
  }

  async #changed(id: string): Promise<void> {
    await this.#cache.invalidate(id);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    await this.#inner.upsert(id, payload, expiresIn);
    await this.#changed(id);
  }

  async destroy(id: string): Promise<void> {
    await this.#inner.destroy(id);
    await this.#changed(id);
  }

  async consume(id: string): Promise<void> {
    await this.#inner.consume(id);
    await this.#changed(id);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return (await this.#inner.findByUid(uid)) ?? undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return (await this.#inner.findByUserCode(userCode)) ?? undefined;
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#inner.revokeByGrantId(grantId);
  }
}

/**
 * Read-through cache for records read on every request but rarely written (clients: every
 * token request looks its client up). A write through any instance evicts the record on all
 * instances at once, and wins over a read that was under way (coherent-cache.ts).
 */
export function createCachedAdapterFactory(inner: AdapterFactory, options: CachedAdapterOptions): AdapterFactory {
  const caches = new Map<string, CoherentCache<string | undefined>>();
  for (const model of options.models) {
    caches.set(model, createCoherentCache({ kind: model, ttlSeconds: options.ttlSeconds, maxEntries: options.maxEntries, ...(options.invalidation ? { invalidation: options.invalidation } : {}) }));
  }
  return (model: string) => {
    const cache = caches.get(model);
    return cache ? new CachedAdapter(inner(model), cache) : inner(model);
  };
}
